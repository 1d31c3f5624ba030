import * as tr46 from 'tr46';
import { mixesScripts, skeleton } from './confusables';

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

export const MAX_EMAIL_LENGTH = 254;

/** The forms of one address (SPEC §2): what is stored, what is compared, what looks alike. */
export interface EmailAddress {
  /** As typed: trimmed, lower-cased, NFC. What is stored and shown. */
  value: string;
  /** The domain in its ASCII (punycode) form: `josé@exämple.de` and `josé@xn--exmple-cua.de` are one address. */
  canonical: string;
  /** UTS #39 skeleton of the address with its domain in Unicode: look-alikes share it. */
  skeleton: string;
  /** No character outside ASCII, domain decoded: such an address is compared exactly with other ASCII ones. */
  ascii: boolean;
}

// UTS #46 processing (tr46, the implementation behind the WHATWG URL parser), non-transitional as
// IDNA2008 registries expect. STD3 rules and DNS lengths are left to the address check below, as
// before IDNA was applied, so that no address accepted so far becomes invalid.
const IDNA: tr46.Tr46Options = { checkBidi: true, checkHyphens: false, checkJoiners: true, useSTD3ASCIIRules: false, verifyDNSLength: false, transitionalProcessing: false };

/**
 * Emails are trimmed, lower-cased and put in NFC before they are stored or compared (SPEC §2).
 * Control, format and invisible characters are refused rather than stripped, so that two addresses
 * that look the same on screen can never be two accounts; so is a local part that mixes scripts.
 */
export function parseEmail(input: string): Checked<EmailAddress> {
  const parts = checkedParts(input, { refuseMixedScripts: true });
  return parts.ok ? { ok: true, value: formsOf(parts.value.email, parts.value.local, parts.value.asciiDomain) } : parts;
}

/** The forms an account is looked up by: the stored one and the compared one. */
export type LookupForms = Pick<EmailAddress, 'value' | 'canonical'>;

/**
 * The forms under which to look an account up at login: the rules of a new address, less the
 * mixed-script one, so that an account kept from before that rule (see the migration) can still sign
 * in. Only the forms a lookup compares (no skeleton: a login has no use for it).
 */
export function parseEmailForLookup(input: string): Checked<LookupForms> {
  const parts = checkedParts(input, { refuseMixedScripts: false });
  return parts.ok ? { ok: true, value: { value: parts.value.email, canonical: `${parts.value.local}@${parts.value.asciiDomain}` } } : parts;
}

/** The checks of an address: its stored form (trimmed, lower-cased, NFC), local part and ASCII domain. */
function checkedParts(input: string, rules: { refuseMixedScripts: boolean }): Checked<{ email: string; local: string; asciiDomain: string }> {
  const email = input.trim().toLowerCase().normalize('NFC');
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
  const asciiDomain = tr46.toASCII(domain, IDNA);
  if (!asciiDomain || asciiDomain.includes('..') || !/^[^.].*\.[^.]+$/.test(asciiDomain)) {
    return { ok: false, message: 'must have a valid domain (an internationalised domain name that cannot be converted to its ASCII form is refused)' };
  }
  if (rules.refuseMixedScripts && mixesScripts(local)) {
    return { ok: false, message: 'must not mix scripts before the @ (for example Latin and Cyrillic letters together)' };
  }
  return { ok: true, value: { email, local, asciiDomain } };
}

/** The stored form only (trimmed, lower-cased, NFC), for callers that need no comparison forms. */
export function normalizeEmail(input: string): Checked<string> {
  const parsed = parseEmail(input);
  return parsed.ok ? { ok: true, value: parsed.value.value } : parsed;
}

/**
 * The comparison forms of an address stored before these rules existed, even one they would
 * refuse today (the migration keeps such rows): IDNA where it succeeds, the domain as stored otherwise.
 */
export function storedAddressForms(stored: string): EmailAddress {
  const parsed = parseEmail(stored);
  if (parsed.ok) return parsed.value;
  const at = stored.lastIndexOf('@');
  const domain = stored.slice(at + 1);
  return formsOf(stored, stored.slice(0, Math.max(at, 0)), tr46.toASCII(domain, IDNA) || domain);
}

function formsOf(value: string, local: string, asciiDomain: string): EmailAddress {
  const unicodeDomain = tr46.toUnicode(asciiDomain, IDNA).domain;
  const display = `${local}@${unicodeDomain}`;
  // eslint-disable-next-line no-control-regex
  return { value, canonical: `${local}@${asciiDomain}`, skeleton: skeleton(display), ascii: /^[\u0000-\u007f]*$/.test(display) };
}
