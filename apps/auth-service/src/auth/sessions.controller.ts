import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi';
import { Controller, Delete, Get, HttpCode, Param, UseGuards } from '@nestjs/common';
import type { AccessTokenClaims } from '@tessera/verifier';
import { Claims } from '@tessera/verifier/nest';
import { AppError } from '../common/app-error';
import type { RequestContext } from '../common/request-context';
import { SessionsService } from '../sessions/sessions.service';
import { AccessTokenGuard } from './access-token.guard';
import { SessionListDto } from './dto/session-list.dto';
import { Client } from './request-context.decorators';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@ApiTags('sessions')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/auth/sessions')
@UseGuards(AccessTokenGuard)
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /** At most 100 live sessions per user, so one page holds them all. */
  @ApiOkResponse({ type: SessionListDto })
  @Get()
  async list(@Claims() claims: AccessTokenClaims): Promise<SessionListDto> {
    return { items: await this.sessions.listLive(claims.sub, claims.sid), next_cursor: null };
  }

  /** 404 alike for another user's session, a revoked one and a malformed id: ids cannot be probed. */
  @ApiNoContentResponse({ description: 'the session is revoked' })
  @ApiErrors(404)
  @Delete(':id')
  @HttpCode(204)
  async remove(@Claims() claims: AccessTokenClaims, @Param('id') id: string, @Client() client: RequestContext): Promise<void> {
    if (!UUID.test(id) || !(await this.sessions.revokeOwn(claims.sub, id, client))) throw new AppError('not_found', 'Session not found');
  }
}
