import { Global, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { PreparedStatements } from '../database/prepared-statements';
import { Transactions } from '../database/transactions';
import { RedisConnection } from './redis-connection';
import { ScheduledJobs } from './scheduled-jobs';
import { ThreadPool } from './thread-pool';

/** What every feature uses: the scheduled-job helper, the one Redis connection, transactions with after-commit hooks, the hot paths' prepared statements, libuv's pool's load. */
@Global()
@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [ScheduledJobs, RedisConnection, Transactions, PreparedStatements, ThreadPool],
  exports: [ScheduledJobs, RedisConnection, Transactions, PreparedStatements, ThreadPool],
})
export class InfraModule {}
