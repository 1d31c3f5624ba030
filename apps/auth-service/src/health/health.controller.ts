import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { AppError } from '../common/app-error';
import { RevokedSessions } from '../sessions/revoked-sessions.service';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly revoked: RevokedSessions,
  ) {}

  /** The process is up. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** The database answers, and Redis when REDIS_URL is set (503 when not). */
  @Get('ready')
  async ready() {
    try {
      return await this.checks();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const down = Object.keys((error.getResponse() as { error?: Record<string, unknown> }).error ?? {});
      throw new AppError('unavailable', `Not ready: ${down.join(', ')} not reachable`, down.map((field) => ({ field, message: `${field} does not answer` })));
    }
  }

  private checks() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2000 }),
      async () => {
        const redis = this.indicators.check('redis');
        const reachable = await this.revoked.redisReachable();
        if (reachable === undefined) return redis.up({ configured: false });
        return reachable ? redis.up() : redis.down({ message: 'Redis does not answer' });
      },
    ]);
  }
}
