import { Injectable } from '@nestjs/common';

/** libuv's default when UV_THREADPOOL_SIZE is unset (`npm start` sets it, scripts/bundle-auth-service.mjs). */
const LIBUV_DEFAULT_THREADS = 4;

/** libuv's pool size as this process will have it: UV_THREADPOOL_SIZE (1 to 1024) when set, else 4. */
export function poolThreads(env: NodeJS.ProcessEnv = process.env): number {
  const size = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size >= 1 ? Math.min(size, 1024) : LIBUV_DEFAULT_THREADS;
}

/**
 * What keeps libuv's thread pool busy for long: the argon2 hashes (tens of milliseconds each). A
 * short job (a signature, under a millisecond) goes to the pool only while a thread is free of them,
 * so that it never waits in the pool's queue behind a burst of logins; otherwise it runs on the
 * calling thread, as it would without the pool.
 */
@Injectable()
export class ThreadPool {
  readonly threads = poolThreads();
  private longJobs = 0;

  /** Runs a long job (one that occupies a pool thread until it settles), counted while it runs or waits. */
  async long<T>(job: () => Promise<T>): Promise<T> {
    this.longJobs++;
    try {
      return await job();
    } finally {
      this.longJobs--;
    }
  }

  /** True while fewer long jobs are running or queued than the pool has threads. */
  hasIdleThread(): boolean {
    return this.longJobs < this.threads;
  }
}
