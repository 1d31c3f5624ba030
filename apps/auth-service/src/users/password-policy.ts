import { COMMON_PASSWORDS, SHORTEST_MIN_LENGTH } from './common-passwords';
import { Checked } from './email';

/** SPEC §1 PASSWORD_MIN_LENGTH: 15 by default (NIST SP 800-63B-4 for a password that is the only factor), 8 … 64. */
export const DEFAULT_PASSWORD_MIN_LENGTH = 15;
export const PASSWORD_MIN_LENGTH_RANGE = { min: SHORTEST_MIN_LENGTH, max: 64 } as const;
export const MAX_PASSWORD_LENGTH = 128;

const COMMON_PASSWORD_SET: ReadonlySet<string> = new Set(COMMON_PASSWORDS);

/** NFKC first: the normalised form is what is measured, hashed and compared (SPEC §2, NIST SP 800-63B). */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * Applied when a password is set (registration, change, bootstrap admin), never at login, so that
 * existing shorter passwords keep working. Counted in Unicode code points, never truncated: a
 * password over the limit is refused, not cut.
 */
export function checkPasswordPolicy(password: string, email: string, minLength: number): Checked<string> {
  const normalized = normalizePassword(password);
  const chars = [...normalized];
  if (chars.length < minLength) return { ok: false, message: `must be at least ${minLength} characters` };
  if (chars.length > MAX_PASSWORD_LENGTH) return { ok: false, message: `must be at most ${MAX_PASSWORD_LENGTH} characters` };
  if (normalized.toLowerCase() === email.toLowerCase()) return { ok: false, message: 'must not be the email address' };
  if (COMMON_PASSWORD_SET.has(normalized.toLowerCase())) {
    return { ok: false, message: 'is too common (it appears in lists of leaked passwords); choose another' };
  }
  if (isRepetitiveOrSequential([...normalized.toLowerCase()])) {
    return { ok: false, message: 'must not be a repetition or a sequence of characters (such as "aaaa…", "abcabc…" or "1234…"); choose a few unrelated words' };
  }
  return { ok: true, value: normalized };
}

/**
 * NIST SP 800-63B's "repetitive or sequential characters": a string that repeats a unit at least
 * twice (`aaaa…`, `abab…`, `passwordpassword`), or that is made of at most two runs, each one
 * character repeated or an ascending or descending sequence (`1234…` with 9 → 0, `abcd…`, `zyx…`,
 * `aaaaaaa1234567`).
 */
export function isRepetitiveOrSequential(chars: string[]): boolean {
  return isPeriodic(chars) || runsOf(chars) <= 2;
}

function isPeriodic(chars: string[]): boolean {
  for (let period = 1; period * 2 <= chars.length; period++) {
    let repeats = true;
    for (let i = period; i < chars.length && repeats; i++) repeats = chars[i] === chars[i - period];
    if (repeats) return true;
  }
  return false;
}

/** Maximal runs in which every step is the same: 0 (a repeated character), +1 or −1. */
function runsOf(chars: string[]): number {
  let runs = 1;
  let step: number | null = null;
  for (let i = 1; i < chars.length; i++) {
    const next = stepBetween(chars[i - 1], chars[i]);
    if (next !== null && (step === null || next === step)) {
      step = next;
    } else {
      runs += 1;
      step = null;
    }
  }
  return runs;
}

/** −1, 0 or +1 when `b` repeats or follows or precedes `a` (digits and latin letters wrap around), else null. */
function stepBetween(a: string, b: string): number | null {
  const cycle = (alphabet: string) => {
    const i = alphabet.indexOf(a);
    const j = alphabet.indexOf(b);
    if (i < 0 || j < 0) return undefined;
    const d = (j - i + alphabet.length) % alphabet.length;
    return d === 0 ? 0 : d === 1 ? 1 : d === alphabet.length - 1 ? -1 : null;
  };
  const inCycle = cycle('0123456789') ?? cycle('abcdefghijklmnopqrstuvwxyz');
  if (inCycle !== undefined) return inCycle;
  const d = (b.codePointAt(0) ?? 0) - (a.codePointAt(0) ?? 0);
  return Math.abs(d) <= 1 ? d : null;
}
