import { JWKS_MAX_AGE_SECONDS, KEY_RELOAD_SECONDS, KeyView, NEXT_KEY_LEAD_SECONDS, planManual, planScheduled, RotationPolicy } from './rotation';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const DAY = 86_400;
const policy: RotationPolicy = { algorithm: 'RS256', rotationDays: 30, accessTtl: 900 };

function key(kid: string, state: KeyView['state'], createdAt: number, extra: Partial<KeyView> = {}): KeyView {
  return {
    kid,
    alg: 'RS256',
    state,
    createdAt: at(createdAt),
    activatedAt: state === 'active' || state === 'retiring' ? at(createdAt) : null,
    retiringAt: null,
    ...extra,
  };
}

describe('signing-key rotation rules (SPEC §7)', () => {
  it('never lets a cached JWKS outlive the lead of a next key', () => {
    expect(JWKS_MAX_AGE_SECONDS + KEY_RELOAD_SECONDS).toBeLessThanOrEqual(NEXT_KEY_LEAD_SECONDS);
  });

  it('creates the first key active, and a next key beside it', () => {
    expect(planScheduled([], policy, T0)).toEqual({
      transitions: [
        { type: 'create', state: 'active', alg: 'RS256' },
        { type: 'create', state: 'next', alg: 'RS256' },
      ],
      rotation: { reason: 'first_key', previousKid: null, urgent: false },
    });
  });

  it('publishes a next key when none is', () => {
    expect(planScheduled([key('a', 'active', 0)], policy, at(10))).toEqual({ transitions: [{ type: 'create', state: 'next', alg: 'RS256' }] });
  });

  it('does nothing while the active key is younger than KEY_ROTATION_DAYS', () => {
    const keys = [key('a', 'active', 0), key('n', 'next', 0)];
    expect(planScheduled(keys, policy, at(30 * DAY - 1)).transitions).toEqual([]);
  });

  it('promotes the next key on schedule: the old one retires, a new next is published', () => {
    const keys = [key('a', 'active', 0), key('n', 'next', 0)];
    expect(planScheduled(keys, policy, at(30 * DAY))).toEqual({
      transitions: [
        { type: 'move', kid: 'a', to: 'retiring' },
        { type: 'move', kid: 'n', to: 'active' },
        { type: 'create', state: 'next', alg: 'RS256' },
      ],
      rotation: { reason: 'scheduled', previousKid: 'a', urgent: false },
    });
  });

  it('never promotes a next key published for less than the lead, even when rotation is due', () => {
    const keys = [key('a', 'active', 0), key('n', 'next', 30 * DAY - 10)];
    expect(planScheduled(keys, policy, at(30 * DAY)).transitions).toEqual([]);
    expect(planScheduled(keys, policy, at(30 * DAY - 10 + NEXT_KEY_LEAD_SECONDS)).rotation?.reason).toBe('scheduled');
  });

  it('KEY_ROTATION_DAYS=0 turns the schedule off', () => {
    const keys = [key('a', 'active', 0), key('n', 'next', 0)];
    expect(planScheduled(keys, { ...policy, rotationDays: 0 }, at(3650 * DAY)).transitions).toEqual([]);
  });

  it('keeps a retiring key for ACCESS_TOKEN_TTL + 5 minutes, then retires it', () => {
    const keys = [key('old', 'retiring', 0, { retiringAt: at(100) }), key('a', 'active', 50), key('n', 'next', 100)];
    expect(planScheduled(keys, policy, at(100 + 900 + 299)).transitions).toEqual([]);
    expect(planScheduled(keys, policy, at(100 + 900 + 300)).transitions).toEqual([{ type: 'move', kid: 'old', to: 'retired' }]);
  });

  it('a change of JWT_ALG publishes a next key of the new algorithm, then rotates to it after the lead', () => {
    const es = { ...policy, algorithm: 'ES256' as const };
    const before = [key('a', 'active', 0), key('n', 'next', 0)];
    // The RS256 next key never signed: it is replaced by an ES256 one.
    expect(planScheduled(before, es, at(100)).transitions).toEqual([
      { type: 'move', kid: 'n', to: 'retired' },
      { type: 'create', state: 'next', alg: 'ES256' },
    ]);
    const after = [key('a', 'active', 0), key('n', 'retired', 0), key('e', 'next', 100, { alg: 'ES256' })];
    expect(planScheduled(after, es, at(100 + NEXT_KEY_LEAD_SECONDS - 1)).transitions).toEqual([]);
    expect(planScheduled(after, es, at(100 + NEXT_KEY_LEAD_SECONDS))).toEqual({
      transitions: [
        { type: 'move', kid: 'a', to: 'retiring' },
        { type: 'move', kid: 'e', to: 'active' },
        { type: 'create', state: 'next', alg: 'ES256' },
      ],
      rotation: { reason: 'algorithm_changed', previousKid: 'a', urgent: false },
    });
  });

  it('leaves alone a next key of another algorithm while the active key has JWT_ALG (a newer instance asked for it)', () => {
    const keys = [key('a', 'active', 0), key('e', 'next', 0, { alg: 'ES256' })];
    expect(planScheduled(keys, policy, at(100)).transitions).toEqual([]);
  });

  it('keeps only the newest of two next keys', () => {
    const keys = [key('a', 'active', 0), key('n1', 'next', 0), key('n2', 'next', 5)];
    expect(planScheduled(keys, policy, at(10)).transitions).toEqual([{ type: 'move', kid: 'n1', to: 'retired' }]);
  });

  describe('asked for (admin, CLI)', () => {
    const keys = [key('a', 'active', 0), key('n', 'next', 1000)];

    it('answers with the seconds to wait while the next key is younger than the lead', () => {
      expect(planManual(keys, policy, at(1000), false)).toEqual({ ok: false, retryAfterSeconds: NEXT_KEY_LEAD_SECONDS });
      expect(planManual(keys, policy, at(1000 + NEXT_KEY_LEAD_SECONDS - 0.5), false)).toEqual({ ok: false, retryAfterSeconds: 1 });
    });

    it('promotes the next key once it is old enough; the old key retires while its tokens expire', () => {
      expect(planManual(keys, policy, at(1000 + NEXT_KEY_LEAD_SECONDS), false)).toEqual({
        ok: true,
        plan: {
          transitions: [
            { type: 'move', kid: 'a', to: 'retiring' },
            { type: 'move', kid: 'n', to: 'active' },
            { type: 'create', state: 'next', alg: 'RS256' },
          ],
          rotation: { reason: 'manual', previousKid: 'a', urgent: false },
        },
      });
    });

    it('urgent: does not wait, and the leaked key is retired at once', () => {
      expect(planManual(keys, policy, at(1001), true)).toEqual({
        ok: true,
        plan: {
          transitions: [
            { type: 'move', kid: 'a', to: 'retired' },
            { type: 'move', kid: 'n', to: 'active' },
            { type: 'create', state: 'next', alg: 'RS256' },
          ],
          rotation: { reason: 'urgent', previousKid: 'a', urgent: true },
        },
      });
    });

    it('urgent without a next key signs with a fresh one', () => {
      const plan = planManual([key('a', 'active', 0)], policy, at(10), true);
      expect(plan.ok && plan.plan.transitions).toEqual([
        { type: 'move', kid: 'a', to: 'retired' },
        { type: 'create', state: 'active', alg: 'RS256' },
        { type: 'create', state: 'next', alg: 'RS256' },
      ]);
    });
  });
});
