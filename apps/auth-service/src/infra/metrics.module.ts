import { Global, Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { SecurityLogModule } from '../security-log/security-log.module';
import { MetricsController, MetricsTokenGuard } from './metrics.controller';
import { MetricsGauges } from './metrics-gauges';
import { Metrics } from './metrics.service';

/**
 * GET /metrics (SPEC §2 Operations). `Metrics` is global and depends on nothing, so any feature
 * can count (logins, refreshes, lockouts, rate limits); the scrape-time gauges read the keys, the
 * security log, the database pool and Redis.
 */
@Global()
@Module({
  imports: [KeysModule, SecurityLogModule],
  controllers: [MetricsController],
  providers: [Metrics, MetricsGauges, MetricsTokenGuard],
  exports: [Metrics],
})
export class MetricsModule {}
