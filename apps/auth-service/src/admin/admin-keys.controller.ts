import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { AccessTokenGuard } from '../auth/access-token.guard';
import { CurrentActor } from '../auth/request-context.decorators';
import { Roles, TesseraRolesGuard } from '@tessera/verifier/nest';
import type { Actor } from '../common/request-context';
import { KeyRotation } from '../keys/key-rotation.service';
import { RotateKeysDto } from './dto/admin-keys.dto';

/** The signing keys (SPEC §2 administration, §7): list them, and rotate them. */
@Controller('api/admin/keys')
@UseGuards(AccessTokenGuard, TesseraRolesGuard)
@Roles('admin')
export class AdminKeysController {
  constructor(private readonly rotation: KeyRotation) {}

  @Get()
  list() {
    return this.rotation.list();
  }

  @Post('rotate')
  @HttpCode(200)
  rotate(@Body() dto: RotateKeysDto, @CurrentActor() actor: Actor): Promise<{ kid: string }> {
    return this.rotation.rotate({ urgent: dto.urgent ?? false, actor, via: 'admin' });
  }
}
