import { createHash, createHmac, randomBytes } from 'node:crypto';

/** A fixed prefix lets secret scanners recognise a leaked token (as GitHub's `ghp_` does). */
export const REFRESH_TOKEN_PREFIX = 'rt_';

/** 256 random bits, base64url, prefixed (SPEC §4). */
export function generateRefreshToken(): string {
  return REFRESH_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * The successor of a token during rotation: an HMAC of its parent under a key every instance
 * derives from KEYS_ENCRYPTION_SECRET. Only hashes are stored, yet within the reuse grace window
 * the same successor can be handed out again, so a retry never forks the family (SPEC §4).
 */
export function deriveSuccessorToken(parent: string, key: Buffer): string {
  return REFRESH_TOKEN_PREFIX + createHmac('sha256', key).update(parent).digest('base64url');
}

/** What is stored and looked up. Any string hashes, so any shape of input is simply "unknown". */
export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
