import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { AccessTokenGuard } from '../auth/access-token.guard';
import { CurrentActor } from '../auth/request-context.decorators';
import type { Actor } from '../common/request-context';
import { Roles, TesseraRolesGuard } from '@tessera/verifier/nest';
import { AdminUsersService } from './admin-users.service';
import { AdminUsersQueryDto, SetRolesDto } from './dto/admin-users.dto';

@Controller('api/admin/users')
@UseGuards(AccessTokenGuard, TesseraRolesGuard)
@Roles('admin')
export class AdminUsersController {
  constructor(private readonly users: AdminUsersService) {}

  @Get()
  list(@Query() query: AdminUsersQueryDto) {
    return this.users.list(query);
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.users.get(id);
  }

  @Post(':id/disable')
  @HttpCode(204)
  disable(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.users.disable(id, actor);
  }

  @Post(':id/enable')
  @HttpCode(204)
  enable(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.users.enable(id, actor);
  }

  @Put(':id/roles')
  setRoles(@Param('id') id: string, @Body() dto: SetRolesDto, @CurrentActor() actor: Actor) {
    return this.users.setRoles(id, dto.roles, actor);
  }

  @Post(':id/unlock')
  @HttpCode(204)
  unlock(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.users.unlock(id, actor);
  }

  @Post(':id/revoke-sessions')
  @HttpCode(204)
  revokeSessions(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.users.revokeSessions(id, actor);
  }
}
