/**
 * The rules of one refresh (SPEC §4), as a pure function of what the locked rows hold, so that
 * every branch is tested without a database. The service applies the outcome in the same transaction.
 */
export interface PresentedToken {
  usedAt: Date | null;
  expiresAt: Date;
}

export interface TokenSession {
  revokedAt: Date | null;
  expiresAt: Date;
}

export interface Successor {
  usedAt: Date | null;
  expiresAt: Date;
}

export type RefreshFailure = 'unknown' | 'expired' | 'revoked' | 'reused' | 'session_expired';

export type RefreshDecision =
  | { action: 'fail'; reason: Exclude<RefreshFailure, 'reused'> }
  /** A used token outside the grace: revoke the whole family, then fail with `reused`. */
  | { action: 'revoke_family' }
  /** The same, in a session already revoked (the losers of a grace-0 race, a thief after the fact): record it, fail with `reused`. */
  | { action: 'report_reuse' }
  /** A retry inside the grace window whose successor is still unused: hand out that successor again. */
  | { action: 'reissue_successor' }
  | { action: 'rotate' };

export function decideRefresh(
  token: PresentedToken | null,
  session: TokenSession | null,
  successor: Successor | null,
  now: Date,
  graceSeconds: number,
): RefreshDecision {
  if (!token || !session) return { action: 'fail', reason: 'unknown' };
  if (token.usedAt) {
    // A used token is reuse, whatever became of its session since (SPEC §4: with grace 0, every
    // loser of a race is reuse), except a retry inside the grace window: that is no theft.
    const withinGrace = graceSeconds > 0 && now.getTime() - token.usedAt.getTime() < graceSeconds * 1000;
    // The family never forks: only an unused, unexpired successor may be handed out again.
    if (withinGrace && successor && !successor.usedAt && successor.expiresAt > now && session.expiresAt > now) {
      return session.revokedAt ? { action: 'fail', reason: 'revoked' } : { action: 'reissue_successor' };
    }
    return session.revokedAt ? { action: 'report_reuse' } : { action: 'revoke_family' };
  }
  if (session.revokedAt) return { action: 'fail', reason: 'revoked' };
  if (session.expiresAt <= now) return { action: 'fail', reason: 'session_expired' };
  if (token.expiresAt <= now) return { action: 'fail', reason: 'expired' };
  return { action: 'rotate' };
}

/** The successor's idle end slides, but never past the session's absolute end. */
export function successorExpiry(now: Date, refreshTtlSeconds: number, sessionEnd: Date): Date {
  return new Date(Math.min(now.getTime() + refreshTtlSeconds * 1000, sessionEnd.getTime()));
}

export function secondsUntil(end: Date, now: Date): number {
  return Math.max(0, Math.floor((end.getTime() - now.getTime()) / 1000));
}
