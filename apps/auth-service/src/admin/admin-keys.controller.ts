import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi';
import { ErrorResponseDto } from '../common/dto/error-response.dto';
import { AccessTokenGuard } from '../auth/access-token.guard';
import { CurrentActor } from '../auth/request-context.decorators';
import { Roles, TesseraRolesGuard } from '@tessera/verifier/nest';
import type { Actor } from '../common/request-context';
import { KeyRotation } from '../keys/key-rotation.service';
import { RotatedKeyDto, RotateKeysDto, SigningKeyListDto } from './dto/admin-keys.dto';

/** The signing keys (SPEC §2 administration, §7): list them, and rotate them. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/admin/keys')
@UseGuards(AccessTokenGuard, TesseraRolesGuard)
@Roles('admin')
export class AdminKeysController {
  constructor(private readonly rotation: KeyRotation) {}

  @ApiOkResponse({ type: SigningKeyListDto })
  @Get()
  list() {
    return this.rotation.list();
  }

  @ApiOkResponse({ type: RotatedKeyDto })
  @ApiErrors(400)
  @ApiResponse({ status: 409, description: 'key_rotation_too_early: the next key is younger than its lead (retry_after, Retry-After)', type: ErrorResponseDto })
  @Post('rotate')
  @HttpCode(200)
  rotate(@Body() dto: RotateKeysDto, @CurrentActor() actor: Actor): Promise<{ kid: string }> {
    return this.rotation.rotate({ urgent: dto.urgent ?? false, actor, via: 'admin' });
  }
}
