import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { LivenessDto, ReadinessDto } from './health-response.dto';
import { Controller, Get } from '@nestjs/common';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import { AppError } from '../common/app-error';
import { RedisConnection } from '../infra/redis-connection';

export interface Readiness {
  status: 'ok';
  database: 'up';
  /** `down` does not make the instance unready: it keeps serving on its own state (SPEC §2). */
  redis: 'up' | 'down' | 'not_configured';
}

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisConnection,
  ) {}

  /** The process is up. */
  @ApiOkResponse({ type: LivenessDto })
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /**
   * 503 while the database does not answer. Redis is reported, never a reason for 503: without it the
   * service keeps working (per-instance limits, revocation checks through the database), and taking
   * every instance out of the load balancer because Redis blinked would turn a partial fault into an outage.
   */
  @ApiOkResponse({ type: ReadinessDto })
  @Get('ready')
  async ready(): Promise<Readiness> {
    const [database, redis] = await Promise.all([this.databaseAnswers(), this.redis.reachable()]);
    if (!database) throw new AppError('unavailable', 'Not ready: database not reachable', [{ field: 'database', message: 'database does not answer' }]);
    return { status: 'ok', database: 'up', redis: redis === undefined ? 'not_configured' : redis ? 'up' : 'down' };
  }

  private async databaseAnswers(): Promise<boolean> {
    try {
      // Terminus 11 answers a failed ping with status `down` (older versions threw): both mean not ready.
      return (await this.database.pingCheck('database', { timeout: 2000 })).database?.status === 'up';
    } catch {
      return false;
    }
  }
}
