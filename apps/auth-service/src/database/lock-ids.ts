/**
 * Every PostgreSQL advisory lock the service takes, in one place: two features that shared an id
 * would wait on each other (or, with try-locks, skip each other's work) for no reason. A new lock
 * gets the next free number here, never a number written inline.
 */
export const LockIds = {
  /** Migrations at start: instances starting together take turns. */
  migrations: 7_310_001,
  /** Creating the bootstrap admin: exactly one instance creates it. */
  bootstrapAdmin: 7_310_002,
  /** Changes of admins (disable, roles): the last enabled admin is never removed by two admins at once. */
  adminChanges: 7_310_003,
  /** Scheduled purge of expired refresh tokens and ended sessions. */
  sessionsHousekeeping: 7_310_004,
  /** The security-log chain sealer. */
  securityLogSealer: 7_310_005,
  /** The security-log retention purge. */
  securityLogRetention: 7_310_006,
  /** Signing-key changes (first key, algorithm change, rotation). */
  signingKeys: 7_310_007,
  /** Data keys: creating and re-wrapping them. */
  dataKeys: 7_310_008,
  /**
   * The scheduled signing-key lifecycle job (one instance at a time). Not `signingKeys`: the job
   * holds its lock on one connection while its changes take `signingKeys` on another.
   */
  signingKeyRotation: 7_310_009,
} as const;

export type LockId = (typeof LockIds)[keyof typeof LockIds];
