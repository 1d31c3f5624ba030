import type { AppConfig } from '../config/app-config';
import { RevokedSessions } from './revoked-sessions.service';
import type { SessionsRepository } from './sessions.repository';
import type { RedisConnection } from '../infra/redis-connection';
import type { ScheduledJobs } from '../infra/scheduled-jobs';

// The expiry rule only (no Redis, no database): an entry must outlive every access token of its
// session, and a token is accepted until exp + CLOCK_TOLERANCE.
describe('RevokedSessions: how long a revocation is remembered', () => {
  const t0 = new Date('2026-11-24T12:00:00Z').getTime();
  afterEach(() => jest.useRealTimers());

  function cache(accessTtl: number, clockTolerance: number, revokedEarlier: { id: string; revokedAt: Date }[] = []): RevokedSessions {
    const config = { tokens: { accessTtl, clockTolerance }, redis: {}, db: { driver: 'pglite' } } as unknown as AppConfig;
    const repository = { findRevokedSince: async (since: Date) => revokedEarlier.filter((r) => r.revokedAt >= since), isRevoked: async () => false };
    const noRedis = { client: undefined } as unknown as RedisConnection;
    const jobs = { schedule: () => undefined } as unknown as ScheduledJobs;
    return new RevokedSessions(config, repository as unknown as SessionsRepository, noRedis, jobs);
  }

  it('refuses the session for ACCESS_TOKEN_TTL + CLOCK_TOLERANCE after the revocation, and forgets it after', async () => {
    jest.useFakeTimers({ now: t0 });
    const revoked = cache(60, 60);
    await revoked.add(['s1']);
    // A token issued just before the revocation is accepted until iat + 60 + 60 s.
    for (const seconds of [0, 59, 61, 100, 119.9]) {
      jest.setSystemTime(t0 + seconds * 1000);
      expect(await revoked.isRevoked('s1')).toBe(true);
    }
    jest.setSystemTime(t0 + 130_000);
    expect(await revoked.isRevoked('s1')).toBe(false);
    expect(await revoked.isRevoked('never-revoked')).toBe(false);
  });

  it('reloads at start every revocation whose tokens may still be accepted, tolerance included', async () => {
    jest.useFakeTimers({ now: t0 });
    const revoked = cache(60, 30, [
      { id: 'recent', revokedAt: new Date(t0 - 80_000) }, // a token may live until t0 - 80 + 60 + 30 s
      { id: 'old', revokedAt: new Date(t0 - 200_000) },
    ]);
    await revoked.onModuleInit();
    try {
      expect(await revoked.isRevoked('recent')).toBe(true);
      expect(await revoked.isRevoked('old')).toBe(false);
    } finally {
      await revoked.onApplicationShutdown();
    }
  });
});
