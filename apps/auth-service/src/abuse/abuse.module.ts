import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SecurityLogModule } from '../security-log/security-log.module';
import { CounterStore } from './counter-store';
import { LockoutService } from './lockout.service';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimits } from './rate-limits.service';

/**
 * Lockout and rate limits (SPEC §6): counters behind one store. The rate-limit guard is global:
 * a route opts in with `@RateLimit(kind)`, whatever module it lives in.
 */
@Module({
  imports: [SecurityLogModule],
  providers: [CounterStore, LockoutService, RateLimits, { provide: APP_GUARD, useClass: RateLimitGuard }],
  exports: [LockoutService],
})
export class AbuseModule {}
