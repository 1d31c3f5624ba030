import { SigningAlgorithm } from '../config/app-config';
import { KeyStatus } from './signing-key.entity';

/**
 * The lifecycle of signing keys (SPEC §7) as pure rules: given the keys, the policy and the time,
 * which transitions to apply. `KeyRotation` applies them under the signing-keys lock.
 *
 *   next ──(lead passed, and the schedule, an algorithm change or an admin asks)──▶ active
 *   active ──(a new key takes over)──▶ retiring ──(ACCESS_TOKEN_TTL + 5 min)──▶ retired
 *   active ──(urgent: the key leaked)──▶ retired
 */

/** How long the JWKS may be cached (its `max-age`). */
export const JWKS_MAX_AGE_SECONDS = 300;
/** How often every instance reloads the keys (KeyStore): well inside the 10 s of SPEC §7. */
export const KEY_RELOAD_SECONDS = 5;
/**
 * A `next` key is published this long before it may sign: a verifier that fetched the JWKS just
 * before the last instance reloaded still learns the key before a token carries it.
 */
export const NEXT_KEY_LEAD_SECONDS = JWKS_MAX_AGE_SECONDS + KEY_RELOAD_SECONDS;
/** A retiring key verifies for ACCESS_TOKEN_TTL plus this margin, then leaves the JWKS. */
export const RETIRING_MARGIN_SECONDS = 300;

export interface KeyView {
  kid: string;
  alg: SigningAlgorithm;
  state: KeyStatus;
  createdAt: Date;
  activatedAt: Date | null;
  retiringAt: Date | null;
}

export interface RotationPolicy {
  /** JWT_ALG: the algorithm new keys get. */
  algorithm: SigningAlgorithm;
  /** KEY_ROTATION_DAYS; 0 turns the schedule off. */
  rotationDays: number;
  /** ACCESS_TOKEN_TTL in seconds. */
  accessTtl: number;
}

export type Transition =
  | { type: 'create'; state: 'next' | 'active'; alg: SigningAlgorithm }
  | { type: 'move'; kid: string; to: Exclude<KeyStatus, 'next'> };

export type RotationReason = 'first_key' | 'scheduled' | 'algorithm_changed' | 'manual' | 'urgent';

export interface RotationPlan {
  transitions: Transition[];
  /** Set when another key becomes active: what the `signing_key_rotated` event says. */
  rotation?: { reason: RotationReason; previousKid: string | null; urgent: boolean };
}

const DAY_MS = 86_400_000;

const seconds = (ms: number) => ms / 1000;

export function isMature(next: KeyView, now: Date): boolean {
  return seconds(now.getTime() - next.createdAt.getTime()) >= NEXT_KEY_LEAD_SECONDS;
}

function live(keys: readonly KeyView[]) {
  const active = keys.find((k) => k.state === 'active');
  // Newest first: should two `next` keys ever exist, the newest is the one kept.
  const nexts = keys.filter((k) => k.state === 'next').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  return { active, next: nexts.at(0), extraNexts: nexts.slice(1) };
}

/** What the scheduled job (and the start) does: retire, replace, promote on schedule or algorithm change. */
export function planScheduled(keys: readonly KeyView[], policy: RotationPolicy, now: Date): RotationPlan {
  const transitions: Transition[] = [];
  const retiringMs = (policy.accessTtl + RETIRING_MARGIN_SECONDS) * 1000;
  for (const key of keys) {
    if (key.state === 'retiring' && now.getTime() - (key.retiringAt ?? key.createdAt).getTime() >= retiringMs) {
      transitions.push({ type: 'move', kid: key.kid, to: 'retired' });
    }
  }
  const { active, extraNexts, next: published } = live(keys);
  let next: KeyView | undefined = published;
  for (const extra of extraNexts) transitions.push({ type: 'move', kid: extra.kid, to: 'retired' });
  // A `next` of another algorithm than JWT_ALG, while the active key is not of JWT_ALG either, never
  // signed anything: it is replaced by one of the algorithm asked for. (While the active key is of
  // JWT_ALG, a `next` of another algorithm was asked for by an instance deployed after this one.)
  if (next && next.alg !== policy.algorithm && active?.alg !== policy.algorithm) {
    transitions.push({ type: 'move', kid: next.kid, to: 'retired' });
    next = undefined;
  }

  if (!active) {
    // Nothing signs yet, so no verifier has seen a token: the first key signs at once.
    if (next) transitions.push({ type: 'move', kid: next.kid, to: 'active' });
    else transitions.push({ type: 'create', state: 'active', alg: policy.algorithm });
    transitions.push({ type: 'create', state: 'next', alg: policy.algorithm });
    return { transitions, rotation: { reason: 'first_key', previousKid: null, urgent: false } };
  }
  if (!next) {
    transitions.push({ type: 'create', state: 'next', alg: policy.algorithm });
    return { transitions };
  }
  const reason = dueReason(active, next, policy, now);
  if (reason && isMature(next, now)) {
    transitions.push(
      { type: 'move', kid: active.kid, to: 'retiring' },
      { type: 'move', kid: next.kid, to: 'active' },
      { type: 'create', state: 'next', alg: policy.algorithm },
    );
    return { transitions, rotation: { reason, previousKid: active.kid, urgent: false } };
  }
  return { transitions };
}

function dueReason(active: KeyView, next: KeyView, policy: RotationPolicy, now: Date): RotationReason | undefined {
  if (active.alg !== policy.algorithm && next.alg === policy.algorithm) return 'algorithm_changed';
  if (policy.rotationDays > 0 && now.getTime() - (active.activatedAt ?? active.createdAt).getTime() >= policy.rotationDays * DAY_MS) {
    return 'scheduled';
  }
  return undefined;
}

export type ManualPlan = { ok: true; plan: RotationPlan } | { ok: false; retryAfterSeconds: number };

/**
 * A rotation asked for (admin endpoint, CLI): promotes the published `next` key once it has been
 * published for the lead time; `urgent` (a leaked key) does not wait, and retires the old active key
 * at once instead of letting it verify while its tokens expire.
 */
export function planManual(keys: readonly KeyView[], policy: RotationPolicy, now: Date, urgent: boolean): ManualPlan {
  const { active, next } = live(keys);
  if (!urgent && (!next || !isMature(next, now))) {
    const age = next ? seconds(now.getTime() - next.createdAt.getTime()) : 0;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(NEXT_KEY_LEAD_SECONDS - age)) };
  }
  const transitions: Transition[] = [];
  if (active) transitions.push({ type: 'move', kid: active.kid, to: urgent ? 'retired' : 'retiring' });
  // Without a published `next` (never, short of a hand-edited table), urgency signs with a fresh key.
  transitions.push(next ? { type: 'move', kid: next.kid, to: 'active' } : { type: 'create', state: 'active', alg: policy.algorithm });
  transitions.push({ type: 'create', state: 'next', alg: policy.algorithm });
  return { ok: true, plan: { transitions, rotation: { reason: urgent ? 'urgent' : 'manual', previousKid: active?.kid ?? null, urgent } } };
}
