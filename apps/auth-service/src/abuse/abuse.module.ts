import { Module } from '@nestjs/common';
import { SecurityLogModule } from '../security-log/security-log.module';
import { CounterStore } from './counter-store';
import { LockoutService } from './lockout.service';

/** Lockout and rate limits (SPEC §6): counters behind one store. */
@Module({
  imports: [SecurityLogModule],
  providers: [CounterStore, LockoutService],
  exports: [LockoutService],
})
export class AbuseModule {}
