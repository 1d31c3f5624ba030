import { createHash, createHmac, randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** A fixed prefix lets secret scanners recognise a leaked token (as GitHub's `ghp_` does). */
export const REFRESH_TOKEN_PREFIX = 'rt_';

/** Whose token it is: written into the token in the clear (nothing the access token does not already say). */
export interface TokenOwner {
  sessionId: string;
  userId: string;
}

/**
 * How a presented token is found. A token that carries its row's id is looked up by that id, and
 * is that row's only if its hash matches too (the id is public, the hash is the proof). Any other
 * string is looked up by its hash alone, among the rows written before tokens carried ids.
 */
export interface TokenLookup {
  id: string | null;
  hash: Buffer;
}

/** What a token of the current shape says of itself: its row, and whose token it is. Only ever a claim. */
export interface TokenClaim {
  id: string;
  owner: TokenOwner;
}

const UUID_BYTES = 16;
const SECRET_BYTES = 32;
/** rt_ + base64url(token id ‖ session id ‖ user id ‖ 256 bits): the current shape. */
const TOKEN_BYTES = 3 * UUID_BYTES + SECRET_BYTES;

/**
 * A new token row's id: a UUIDv7 (RFC 9562), time-ordered, so that each new row's entry goes at the
 * right-hand end of the primary key and parent indexes instead of on a random page of them.
 */
export function newRefreshTokenId(): string {
  return uuidv7();
}

/**
 * `rt_` + base64url(token id ‖ session id ‖ user id ‖ 256 random bits) (SPEC §4: opaque to clients,
 * at least 256 random bits, base64url, prefixed). The token id finds the row by primary key, so no
 * index over random hashes is written at each rotation (the "selector and verifier" split: the
 * row is the token's only if the SHA-256 of the whole string matches the one stored). The owner's
 * ids let a refresh be one SQL statement: the `token_refreshed` row, whose MAC covers them, is built
 * before the statement runs, and the statement requires the row to belong to the owner named.
 */
export function generateRefreshToken(id: string, owner: TokenOwner): string {
  return encode(id, owner, randomBytes(SECRET_BYTES));
}

/**
 * The successor of a token during rotation: its own row id, the same owner, and an HMAC of its
 * parent under a key every instance shares (data key `refresh-successor`). Only hashes are stored,
 * yet within the reuse grace window the same successor can be handed out again (its id is on its
 * row: `successorAsIssued`), so a retry never forks the family (SPEC §4).
 */
export function deriveSuccessorToken(parent: string, id: string, owner: TokenOwner, key: Buffer): string {
  return encode(id, owner, successorSecret(parent, key));
}

/**
 * The successor `successor` (its row) of `parent`, derived again as it was issued, or null when
 * its hash matches none of the shapes: the current one, or an earlier one as a previous version
 * issued it, for a grace retry that straddles an upgrade (owner and no row id; before that, the
 * HMAC alone). Every shape used the same HMAC of the parent under the same key.
 */
export function successorAsIssued(parent: string, successor: { id: string; tokenHash: Buffer }, owner: TokenOwner, key: Buffer): string | null {
  const secret = successorSecret(parent, key);
  const candidates = [encode(successor.id, owner, secret), encode(null, owner, secret), REFRESH_TOKEN_PREFIX + secret.toString('base64url')];
  return candidates.find((candidate) => successor.tokenHash.equals(hashRefreshToken(candidate))) ?? null;
}

/** The row and owner a token of the current shape names, or null for any other shape (earlier tokens, or garbage). */
export function claimOf(token: string): TokenClaim | null {
  const bytes = bytesOf(token, TOKEN_BYTES);
  if (!bytes) return null;
  return { id: uuidOf(bytes, 0), owner: { sessionId: uuidOf(bytes, 1), userId: uuidOf(bytes, 2) } };
}

/** How to find the row of a presented token (see TokenLookup). Any string hashes, so any shape of input is simply "unknown". */
export function lookupOf(token: string): TokenLookup {
  return { id: claimOf(token)?.id ?? null, hash: hashRefreshToken(token) };
}

/** What is stored and compared. */
export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function successorSecret(parent: string, key: Buffer): Buffer {
  return createHmac('sha256', key).update(parent).digest();
}

function bytesOf(token: string, length: number): Buffer | null {
  if (token.length !== REFRESH_TOKEN_PREFIX.length + Math.ceil((length * 4) / 3) || !token.startsWith(REFRESH_TOKEN_PREFIX)) return null;
  const bytes = Buffer.from(token.slice(REFRESH_TOKEN_PREFIX.length), 'base64url');
  return bytes.length === length ? bytes : null;
}

function encode(id: string | null, owner: TokenOwner, secret: Buffer): string {
  const ids = id === null ? [owner.sessionId, owner.userId] : [id, owner.sessionId, owner.userId];
  return REFRESH_TOKEN_PREFIX + Buffer.concat([...ids.map(uuidBytes), secret]).toString('base64url');
}

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`Not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

function uuidOf(bytes: Buffer, index: number): string {
  const hex = bytes.subarray(index * UUID_BYTES, (index + 1) * UUID_BYTES).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
