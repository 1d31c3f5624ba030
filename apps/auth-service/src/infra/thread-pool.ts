import { Injectable } from '@nestjs/common';

/** libuv's default when UV_THREADPOOL_SIZE is unset (`npm start` sets it, scripts/bundle-auth-service.mjs), and its maximum. */
const LIBUV_DEFAULT_THREADS = 4;
const LIBUV_MAX_THREADS = 1024;

/**
 * libuv's pool size as this process will have it, read as libuv reads UV_THREADPOOL_SIZE (threadpool.c:
 * `atoi`, then 0 becomes 1 and anything above 1024, a negative number too once unsigned, 1024).
 */
export function poolThreads(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.UV_THREADPOOL_SIZE;
  if (value === undefined) return LIBUV_DEFAULT_THREADS;
  const size = parseInt(value, 10) || 0; // atoi: leading digits after blanks and a sign, else 0
  if (size === 0) return 1;
  return size < 0 || size > LIBUV_MAX_THREADS ? LIBUV_MAX_THREADS : size;
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
