import { dictionary } from '@zxcvbn-ts/language-common';
import { Checked } from './email';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

// The common-password list of zxcvbn-ts (tens of thousands of leaked passwords, ranked), kept
// current by that project; only those long enough to pass the length rule matter here.
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  (dictionary['passwords-common'] as string[]).filter((p) => [...p].length >= MIN_PASSWORD_LENGTH),
);

/** NFKC first: the normalised form is what is measured, hashed and compared (SPEC §2, NIST SP 800-63B). */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Counted in Unicode code points, never truncated: a password over the limit is refused, not cut. */
export function checkPasswordPolicy(password: string, email: string): Checked<string> {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < MIN_PASSWORD_LENGTH) return { ok: false, message: `must be at least ${MIN_PASSWORD_LENGTH} characters` };
  if (length > MAX_PASSWORD_LENGTH) return { ok: false, message: `must be at most ${MAX_PASSWORD_LENGTH} characters` };
  if (normalized.toLowerCase() === email.toLowerCase()) return { ok: false, message: 'must not be the email address' };
  if (COMMON_PASSWORDS.has(normalized.toLowerCase())) {
    return { ok: false, message: 'is too common (it appears in lists of leaked passwords); choose another' };
  }
  return { ok: true, value: normalized };
}
