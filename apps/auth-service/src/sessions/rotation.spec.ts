import { decideRefresh, successorExpiry } from './rotation';

const now = new Date('2026-01-01T12:00:00Z');
const later = (s: number) => new Date(now.getTime() + s * 1000);
const live = { revokedAt: null, expiresAt: later(3600) };
const fresh = { usedAt: null, expiresAt: later(600) };

describe('decideRefresh (SPEC §4)', () => {
  it('rotates a live, unused token of a live session', () => {
    expect(decideRefresh(fresh, live, null, now, 10)).toEqual({ action: 'rotate' });
  });

  it('does not know a token without a row', () => {
    expect(decideRefresh(null, null, null, now, 10)).toEqual({ action: 'fail', reason: 'unknown' });
  });

  it('refuses the unused token of a revoked session as revoked', () => {
    expect(decideRefresh(fresh, { ...live, revokedAt: later(-1) }, null, now, 10)).toEqual({ action: 'fail', reason: 'revoked' });
  });

  it('still calls a used token of a revoked session reuse (recorded, nothing left to revoke), unless it is a retry inside the grace', () => {
    const revoked = { ...live, revokedAt: later(-1) };
    expect(decideRefresh({ ...fresh, usedAt: later(-100) }, revoked, null, now, 0)).toEqual({ action: 'report_reuse' });
    expect(decideRefresh({ ...fresh, usedAt: later(-0.1) }, revoked, { usedAt: null, expiresAt: later(600) }, now, 0)).toEqual({ action: 'report_reuse' });
    expect(decideRefresh({ ...fresh, usedAt: later(-100) }, revoked, { usedAt: null, expiresAt: later(600) }, now, 10)).toEqual({ action: 'report_reuse' });
    expect(decideRefresh({ ...fresh, usedAt: later(-1) }, revoked, { usedAt: later(-0.5), expiresAt: later(600) }, now, 10)).toEqual({ action: 'report_reuse' });
    // A retry inside the window of a session ended meanwhile (logout, disable): revoked, not theft.
    expect(decideRefresh({ ...fresh, usedAt: later(-1) }, revoked, { usedAt: null, expiresAt: later(600) }, now, 10)).toEqual({ action: 'fail', reason: 'revoked' });
  });

  it('tells a session past its absolute end from an idle-expired token', () => {
    expect(decideRefresh(fresh, { ...live, expiresAt: now }, null, now, 10)).toEqual({ action: 'fail', reason: 'session_expired' });
    expect(decideRefresh({ ...fresh, expiresAt: now }, live, null, now, 10)).toEqual({ action: 'fail', reason: 'expired' });
  });

  describe('a used token', () => {
    const used = (secondsAgo: number) => ({ usedAt: later(-secondsAgo), expiresAt: later(600) });
    const unusedSuccessor = { usedAt: null, expiresAt: later(600) };

    it('is reuse with grace 0, however recent', () => {
      expect(decideRefresh(used(0), live, unusedSuccessor, now, 0)).toEqual({ action: 'revoke_family' });
    });

    it('within the grace window, with an unused successor, gets that successor again', () => {
      expect(decideRefresh(used(9.999), live, unusedSuccessor, now, 10)).toEqual({ action: 'reissue_successor' });
    });

    it('is reuse at or after the end of the window', () => {
      expect(decideRefresh(used(10), live, unusedSuccessor, now, 10)).toEqual({ action: 'revoke_family' });
    });

    it('is reuse when its successor was used already: the family never forks', () => {
      expect(decideRefresh(used(1), live, { usedAt: later(-0.5), expiresAt: later(600) }, now, 10)).toEqual({ action: 'revoke_family' });
    });

    it('is reuse when its successor is missing or expired, or the session ended', () => {
      expect(decideRefresh(used(1), live, null, now, 10)).toEqual({ action: 'revoke_family' });
      expect(decideRefresh(used(1), live, { usedAt: null, expiresAt: now }, now, 10)).toEqual({ action: 'revoke_family' });
      expect(decideRefresh(used(1), { ...live, expiresAt: now }, unusedSuccessor, now, 10)).toEqual({ action: 'revoke_family' });
    });
  });
});

describe('successorExpiry', () => {
  it('slides by the idle lifetime but never past the session end', () => {
    expect(successorExpiry(now, 60, later(3600))).toEqual(later(60));
    expect(successorExpiry(now, 7200, later(3600))).toEqual(later(3600));
  });
});
