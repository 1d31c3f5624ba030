import { Global, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Transactions } from '../database/transactions';
import { RedisConnection } from './redis-connection';
import { ScheduledJobs } from './scheduled-jobs';

/** What every feature uses: the scheduled-job helper, the one Redis connection, transactions with after-commit hooks. */
@Global()
@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [ScheduledJobs, RedisConnection, Transactions],
  exports: [ScheduledJobs, RedisConnection, Transactions],
})
export class InfraModule {}
