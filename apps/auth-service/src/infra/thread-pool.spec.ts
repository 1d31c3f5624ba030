import { poolThreads, ThreadPool } from './thread-pool';

describe('poolThreads', () => {
  it("is libuv's 4 when UV_THREADPOOL_SIZE is unset, else that number as libuv reads it", () => {
    expect(poolThreads({})).toBe(4);
    expect(poolThreads({ UV_THREADPOOL_SIZE: '2' })).toBe(2);
    expect(poolThreads({ UV_THREADPOOL_SIZE: ' 3' })).toBe(3);
    expect(poolThreads({ UV_THREADPOOL_SIZE: '1.5' })).toBe(1); // atoi stops at the dot
    // atoi gives 0 for what is no number, and libuv then runs one thread.
    for (const zero of ['', '0', 'four']) expect(poolThreads({ UV_THREADPOOL_SIZE: zero })).toBe(1);
    // Above 1024, or negative (an unsigned int in libuv): 1024.
    for (const capped of ['2000', '-1']) expect(poolThreads({ UV_THREADPOOL_SIZE: capped })).toBe(1024);
  });
});

describe('ThreadPool', () => {
  /** A long job that settles when told to. */
  function pending<T>() {
    let settle!: { resolve: (value: T) => void; reject: (error: Error) => void };
    const promise = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
    return { promise, ...settle };
  }

  it('has an idle thread until as many long jobs run (or wait) as it has threads, and again once one settles', async () => {
    const pool = new ThreadPool();
    const jobs = Array.from({ length: pool.threads }, () => pending<string>());
    const running = jobs.map((job) => pool.long(() => job.promise));
    expect(pool.hasIdleThread()).toBe(false);
    jobs[0].resolve('done');
    await expect(running[0]).resolves.toBe('done');
    expect(pool.hasIdleThread()).toBe(true);
    for (const job of jobs.slice(1)) job.resolve('done');
    await Promise.all(running);
  });

  it('counts a job that fails as settled too, and passes its error on', async () => {
    const pool = new ThreadPool();
    const jobs = Array.from({ length: pool.threads }, () => pending<string>());
    const running = jobs.map((job) => pool.long(() => job.promise));
    jobs[0].reject(new Error('argon2 failed'));
    await expect(running[0]).rejects.toThrow('argon2 failed');
    expect(pool.hasIdleThread()).toBe(true);
    for (const job of jobs.slice(1)) job.resolve('done');
    await Promise.all(running.slice(1));
  });
});
