import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi';
import { SecurityLogPageDto, SecurityLogStatsDto, VerifyResultDto } from './dto/admin-responses.dto';
import { Controller, Get, Header, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AccessTokenGuard } from '../auth/access-token.guard';
import { CurrentActor } from '../auth/request-context.decorators';
import type { Actor } from '../common/request-context';
import { Roles, TesseraRolesGuard } from '@tessera/verifier/nest';
import { SecurityLogExportDto, SecurityLogQueryDto, SecurityLogStatsQueryDto } from './dto/security-log-query.dto';
import { SecurityLogsService } from './security-logs.service';

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/admin/security-logs')
@UseGuards(AccessTokenGuard, TesseraRolesGuard)
@Roles('admin')
export class SecurityLogsController {
  constructor(private readonly logs: SecurityLogsService) {}

  @ApiOkResponse({ type: SecurityLogPageDto, description: 'newest first' })
  @ApiErrors(400)
  @Get()
  list(@Query() query: SecurityLogQueryDto, @CurrentActor() actor: Actor) {
    return this.logs.list(query, actor);
  }

  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({ description: 'the matching events, streamed as a download', schema: { type: 'string' } })
  @ApiErrors(400)
  @Get('export')
  @Header('Cache-Control', 'no-store')
  export(@Query() query: SecurityLogExportDto, @CurrentActor() actor: Actor, @Res() reply: FastifyReply) {
    const csv = query.format === 'csv';
    void reply
      .header('Content-Type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="security-logs.${csv ? 'csv' : 'ndjson'}"`)
      .send(this.logs.export(query, actor));
  }

  @ApiOkResponse({ type: SecurityLogStatsDto, description: 'counts per bucket and event type: the console timeline' })
  @ApiErrors(400)
  @Get('stats')
  stats(@Query() query: SecurityLogStatsQueryDto, @CurrentActor() actor: Actor) {
    return this.logs.stats(query, actor);
  }

  @ApiOkResponse({ type: VerifyResultDto })
  @Get('verify')
  verify(@CurrentActor() actor: Actor) {
    return this.logs.verify(actor);
  }
}
