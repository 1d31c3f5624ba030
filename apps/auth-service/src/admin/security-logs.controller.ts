import { Controller, Get, Header, Query, Res, UseGuards } from '@nestjs/common';
import type { AccessTokenClaims } from '@tessera/verifier';
import type { FastifyReply } from 'fastify';
import { AccessTokenGuard } from '../auth/access-token.guard';
import { Claims } from '../auth/request-context.decorators';
import { Roles, RolesGuard } from '../auth/roles.guard';
import { SecurityLogExportDto, SecurityLogQueryDto } from './dto/security-log-query.dto';
import { SecurityLogsService } from './security-logs.service';

@Controller('api/admin/security-logs')
@UseGuards(AccessTokenGuard, RolesGuard)
@Roles('admin')
export class SecurityLogsController {
  constructor(private readonly logs: SecurityLogsService) {}

  @Get()
  list(@Query() query: SecurityLogQueryDto, @Claims() claims: AccessTokenClaims) {
    return this.logs.list(query, claims.sub);
  }

  @Get('export')
  @Header('Cache-Control', 'no-store')
  export(@Query() query: SecurityLogExportDto, @Claims() claims: AccessTokenClaims, @Res() reply: FastifyReply) {
    const csv = query.format === 'csv';
    void reply
      .header('Content-Type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="security-logs.${csv ? 'csv' : 'ndjson'}"`)
      .send(this.logs.export(query, claims.sub));
  }

  @Get('verify')
  verify(@Claims() claims: AccessTokenClaims) {
    return this.logs.verify(claims.sub);
  }
}
