import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi';
import { AdminUserDetailDto, AdminUserPageDto, AdminUserResponseDto } from './dto/admin-responses.dto';
import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { AccessTokenGuard } from '../auth/access-token.guard';
import { CurrentActor } from '../auth/request-context.decorators';
import type { Actor } from '../common/request-context';
import { Roles, TesseraRolesGuard } from '@tessera/verifier/nest';
import { AdminUsersService } from './admin-users.service';
import { AdminUsersQueryDto, SetRolesDto } from './dto/admin-users.dto';

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/admin/users')
@UseGuards(AccessTokenGuard, TesseraRolesGuard)
@Roles('admin')
export class AdminUsersController {
  constructor(private readonly users: AdminUsersService) {}

  @ApiOkResponse({ type: AdminUserPageDto })
  @ApiErrors(400)
  @Get()
  list(@Query() query: AdminUsersQueryDto) {
    return this.users.list(query);
  }

  @ApiOkResponse({ type: AdminUserDetailDto })
  @ApiErrors(404)
  @Get(':id')
  get(@Param('id') id: string) {
    return this.users.get(id);
  }

  @ApiNoContentResponse({ description: 'disabled; every session revoked' })
  @ApiErrors(400, 404)
  @Post(':id/disable')
  @HttpCode(204)
  disable(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.users.disable(id, actor);
  }

  @ApiNoContentResponse({ description: 'enabled' })
  @ApiErrors(404)
  @Post(':id/enable')
  @HttpCode(204)
  enable(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.users.enable(id, actor);
  }

  @ApiOkResponse({ type: AdminUserResponseDto })
  @ApiErrors(400, 404)
  @Put(':id/roles')
  setRoles(@Param('id') id: string, @Body() dto: SetRolesDto, @CurrentActor() actor: Actor) {
    return this.users.setRoles(id, dto.roles, actor);
  }

  @ApiNoContentResponse({ description: 'every lock of the user\'s identifier is cleared' })
  @ApiErrors(404)
  @Post(':id/unlock')
  @HttpCode(204)
  unlock(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.users.unlock(id, actor);
  }

  @ApiNoContentResponse({ description: 'every session of the user is revoked' })
  @ApiErrors(404)
  @Post(':id/revoke-sessions')
  @HttpCode(204)
  revokeSessions(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.users.revokeSessions(id, actor);
  }
}
