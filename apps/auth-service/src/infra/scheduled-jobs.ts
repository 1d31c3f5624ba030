import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LockId } from '../database/lock-ids';

export interface JobDefinition {
  /** Unique: the name in @nestjs/schedule's registry and in log lines. */
  name: string;
  everyMs: number;
  /**
   * With a lock, one instance at a time runs the job (a PostgreSQL advisory lock; a tick that finds
   * it taken does nothing). Without, every instance runs it (work on its own memory: caches, reloads).
   */
  lock?: LockId;
  run: () => Promise<unknown>;
}

/**
 * The one home of background work (STYLE §11). Every periodic task registers here; timers start once
 * the application has bootstrapped, a tick never overlaps the job's previous run, and shutdown stops
 * the timers and waits for running jobs before the database closes (this runs in
 * `beforeApplicationShutdown`; TypeORM closes its connections in `onApplicationShutdown`, after).
 */
@Injectable()
export class ScheduledJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ScheduledJobs');
  private readonly jobs = new Map<string, JobDefinition>();
  private readonly running = new Map<string, Promise<unknown>>();
  private started = false;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: SchedulerRegistry,
    private readonly dataSource: DataSource,
  ) {}

  /** Registers a job; owners call this from their constructor or `onModuleInit`. */
  schedule(job: JobDefinition): void {
    if (this.jobs.has(job.name)) throw new Error(`Scheduled job ${job.name} is registered twice`);
    this.jobs.set(job.name, job);
    if (this.started && !this.stopped) this.start(job);
  }

  onApplicationBootstrap(): void {
    this.started = true;
    for (const job of this.jobs.values()) this.start(job);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const name of this.jobs.keys()) if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    await Promise.allSettled([...this.running.values()]);
  }

  /**
   * Runs `work` while holding `lock`, on one instance at a time; null when another instance holds it.
   * The embedded database serves one process (the DATA_DIR lock) through one connection, so there is
   * nobody to exclude, and holding that connection for the lock would starve `work` of it.
   */
  async exclusive<T>(lock: LockId, work: () => Promise<T>): Promise<T | null> {
    if (this.config.db.driver === 'pglite') return work();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [lock]);
      if (!locked) return null;
      try {
        return await work();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [lock]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  private start(job: JobDefinition): void {
    const timer = setInterval(() => this.tick(job), job.everyMs);
    timer.unref();
    this.registry.addInterval(job.name, timer);
  }

  private tick(job: JobDefinition): void {
    if (this.stopped || this.running.has(job.name)) return;
    const run = (job.lock === undefined ? job.run() : this.exclusive(job.lock, job.run))
      .catch((error: Error) => this.logger.warn(`${job.name} failed: ${error.message}`))
      .finally(() => this.running.delete(job.name));
    this.running.set(job.name, run);
  }
}
