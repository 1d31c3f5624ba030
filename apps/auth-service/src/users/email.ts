export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

export const MAX_EMAIL_LENGTH = 254;

/**
 * Emails are trimmed and lower-cased before they are stored or compared (SPEC §2). Control,
 * format and invisible characters are refused rather than stripped, so that two addresses that
 * look the same on screen can never be two accounts.
 */
export function normalizeEmail(input: string): Checked<string> {
  const email = input.trim().toLowerCase();
  if (email.length === 0) return { ok: false, message: 'must not be empty' };
  if (email.length > MAX_EMAIL_LENGTH) return { ok: false, message: `must be at most ${MAX_EMAIL_LENGTH} characters` };
  // \p{C}: control, format (zero-width joiners, BOM, bidi overrides), surrogates, private use, unassigned.
  // \p{Z} and \s: any space inside the address. U+115F/1160/3164/FFA0 are Hangul fillers that render empty.
  if (/[\p{C}\p{Z}\s\u115F\u1160\u3164\uFFA0]/u.test(email)) {
    return { ok: false, message: 'must not contain spaces, control or invisible characters' };
  }
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (at <= 0 || local.includes('@') || local.length > 64 || !/^[^.].*\.[^.]+$/.test(domain) || domain.includes('..')) {
    return { ok: false, message: 'must be an email address such as name@example.com' };
  }
  return { ok: true, value: email };
}
