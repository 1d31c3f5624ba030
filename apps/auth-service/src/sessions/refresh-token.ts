import { createHash, createHmac, randomBytes } from 'node:crypto';

/** A fixed prefix lets secret scanners recognise a leaked token (as GitHub's `ghp_` does). */
export const REFRESH_TOKEN_PREFIX = 'rt_';

/** Whose token it is: written into the token in the clear (nothing the access token does not already say). */
export interface TokenOwner {
  sessionId: string;
  userId: string;
}

const UUID_BYTES = 16;
const SECRET_BYTES = 32;
const TOKEN_BYTES = 2 * UUID_BYTES + SECRET_BYTES;

/**
 * `rt_` + base64url(session id ‖ user id ‖ 256 random bits) (SPEC §4: opaque to clients, at least
 * 256 random bits, base64url, prefixed). The two ids let a refresh be one SQL statement: the
 * `token_refreshed` row, whose MAC covers them, is built before the statement runs. They are only
 * ever a claim: the token is looked up by the hash of the whole string, and the statement also
 * requires the row to belong to the session and user it names.
 */
export function generateRefreshToken(owner: TokenOwner): string {
  return encode(owner, randomBytes(SECRET_BYTES));
}

/**
 * The successor of a token during rotation: the same owner, and an HMAC of its parent under a key
 * every instance shares (data key `refresh-successor`). Only hashes are stored, yet within the
 * reuse grace window the same successor can be handed out again, so a retry never forks the
 * family (SPEC §4).
 */
export function deriveSuccessorToken(parent: string, owner: TokenOwner, key: Buffer): string {
  return encode(owner, createHmac('sha256', key).update(parent).digest());
}

/** The owner a token names, or null for any other shape (tokens issued before the ids were written into them, or garbage). */
export function claimedOwner(token: string): TokenOwner | null {
  if (token.length !== REFRESH_TOKEN_PREFIX.length + Math.ceil((TOKEN_BYTES * 4) / 3) || !token.startsWith(REFRESH_TOKEN_PREFIX)) return null;
  const bytes = Buffer.from(token.slice(REFRESH_TOKEN_PREFIX.length), 'base64url');
  if (bytes.length !== TOKEN_BYTES) return null;
  return { sessionId: uuidOf(bytes.subarray(0, UUID_BYTES)), userId: uuidOf(bytes.subarray(UUID_BYTES, 2 * UUID_BYTES)) };
}

/** What is stored and looked up. Any string hashes, so any shape of input is simply "unknown". */
export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function encode(owner: TokenOwner, secret: Buffer): string {
  const bytes = Buffer.concat([uuidBytes(owner.sessionId), uuidBytes(owner.userId), secret]);
  return REFRESH_TOKEN_PREFIX + bytes.toString('base64url');
}

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`Not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
