/**
 * The one access-token verification of Tessera (SPEC §3): the service's own guard and the downstream
 * verifier library both call it, each with its own key resolver. Whatever can be decided without a
 * key is decided before the signature is checked (signature.ts), so a forged token is refused for
 * the first rule it breaks, with a stable reason. The token itself is never logged and never put in an error.
 */
import type { KeyObject } from 'node:crypto';
import { verifySignature, verifySignatureOnPool } from './signature';

/** The JWS algorithms Tessera signs with (RFC 7518 §3; EdDSA is Ed25519, RFC 8037). */
export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA' | 'HS256';

/** The claims of a Tessera access token (RFC 9068 §2.2), all required. */
export interface AccessTokenClaims {
  iss: string; sub: string; aud: string | string[]; exp: number; iat: number;
  jti: string; sid: string; client_id: string; roles: string[];
  [claim: string]: unknown;
}

/** What the caller expects of a token: fixed by configuration, never taken from the token. */
export interface VerifyTokenOptions {
  /** The exact `iss` required. */
  issuer: string;
  /** The audience that the token's `aud` (a string or an array) must contain. */
  audience: string;
  /** Allow-list of algorithms (RFC 8725 §3.1): the token's `alg` must be one of them, exactly. */
  algorithms: readonly SigningAlgorithm[];
  /** Seconds of leeway on `exp`, `iat` and `nbf`: 0 (default) to 60. */
  clockTolerance?: number;
  /** The time to verify at; defaults to now (for tests). */
  currentDate?: Date;
  /**
   * Whether the session (`sid`) of an otherwise valid token was revoked: asked last, only for a
   * token whose signature and claims hold, so that a forged `sid` never reaches it.
   */
  isRevoked?: (sid: string) => boolean | Promise<boolean>;
  /**
   * Where an RS256, ES256 or EdDSA signature is checked: `'pool'` (default), as a job on libuv's
   * thread pool, so that a service whose main thread is its limit (a resource service checks a
   * token on every request) has the other cores check signatures meanwhile; `'inline'`, on the
   * calling thread, for a process whose pool is busy with other long jobs (Tessera's own, where
   * argon2 hashes take it for tens of milliseconds each). HS256 is always checked inline.
   */
  signatureCheck?: SignatureCheck;
}

/** Where a signature may be checked (VerifyTokenOptions.signatureCheck); createVerifier accepts the same. */
export type SignatureCheck = 'pool' | 'inline';
export const isSignatureCheck = (value: unknown): value is SignatureCheck => value === 'pool' || value === 'inline';

/** A key to verify with: a public key (RS256, ES256, EdDSA) or the HS256 secret (signature.ts). */
export type VerificationKey = CryptoKey | KeyObject | Uint8Array;

/**
 * Returns the verification key for a protected header (`kid` is a non-empty string); undefined, or
 * a throw, for an unknown `kid`. It must return a key meant for `alg`: a public key's bytes handed
 * out as an HMAC secret is the classic algorithm-confusion attack (RFC 8725 §2.1).
 */
export type KeyResolver = (header: { alg: SigningAlgorithm; kid: string }) =>
  Promise<VerificationKey | undefined> | VerificationKey | undefined;

/** Why a token was refused: stable, safe to log and to count. */
export type TokenRejectionReason =
  | 'malformed' | 'too_large' | 'alg_not_allowed' | 'forbidden_header' | 'unsupported_crit'
  | 'bad_typ' | 'unknown_kid' | 'bad_signature' | 'missing_claim' | 'invalid_claim'
  | 'wrong_issuer' | 'wrong_audience' | 'expired' | 'issued_in_future' | 'revoked';

const MESSAGES: Record<TokenRejectionReason, string> = {
  malformed: 'Access token is malformed', too_large: 'Access token is too large',
  alg_not_allowed: 'Access token algorithm is not allowed', forbidden_header: 'Access token header is not allowed',
  unsupported_crit: 'Access token has an unsupported critical header', bad_typ: 'Access token type is not accepted',
  unknown_kid: 'Access token key is unknown', bad_signature: 'Access token signature is invalid',
  missing_claim: 'Access token is missing a required claim', invalid_claim: 'Access token has an invalid claim',
  wrong_issuer: 'Access token issuer is not accepted', wrong_audience: 'Access token audience is not accepted',
  expired: 'Access token expired', issued_in_future: 'Access token is not valid yet',
  revoked: 'Session revoked',
};

/** The only error a token is rejected with; its message is short and safe to show. */
export class TokenVerificationError extends Error {
  readonly reason: TokenRejectionReason;
  constructor(reason: TokenRejectionReason) {
    super(MESSAGES[reason]);
    this.name = 'TokenVerificationError';
    this.reason = reason;
  }
}

/** Longest token accepted, in characters (8 KiB); checked before any decoding. */
export const MAX_TOKEN_LENGTH = 8192;

const ALGORITHMS: readonly string[] = ['RS256', 'ES256', 'EdDSA', 'HS256'];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// Headers that point at or carry a key would let the token choose its own key (RFC 8725 §3.10).
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'];
// RFC 9068 §2.1; media types compare ASCII case-insensitively (RFC 2045 §5.1).
const ACCESS_TOKEN_TYP = /^(application\/)?at\+jwt$/i;
const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'client_id', 'roles'];
const utf8 = new TextDecoder('utf-8', { fatal: true });

type JsonObject = Record<string, unknown>;

function reject(reason: TokenRejectionReason): never {
  throw new TokenVerificationError(reason);
}

const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';
const isTextList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
// JSON.parse reads 1e400 as Infinity: an `exp` that never comes.
const isNumericDate = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

// Canonical base64url only (no stray trailing bits, no impossible length): one token has one
// spelling, so it cannot be respelled past a cache or a deny-list keyed on its text.
function decodeCanonical(segment: string): Buffer {
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : reject('malformed');
}

function decodeJsonSegment(segment: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(decodeCanonical(segment)));
  } catch {
    reject('malformed');
  }
  return isJsonObject(value) ? value : reject('malformed');
}

/** A bad configuration is a programming error, not a bad token: a TypeError or RangeError. */
function checkOptions({ issuer, audience, algorithms, clockTolerance = 0, currentDate, isRevoked, signatureCheck }: VerifyTokenOptions): number {
  if (!isText(issuer) || !isText(audience)) throw new TypeError('verifyAccessToken: issuer and audience must be non-empty strings');
  if (!Array.isArray(algorithms) || !algorithms.length || !algorithms.every((a) => ALGORITHMS.includes(a))) {
    throw new TypeError(`verifyAccessToken: algorithms must be a non-empty list of ${ALGORITHMS.join(', ')}`);
  }
  if (typeof clockTolerance !== 'number') throw new TypeError('verifyAccessToken: clockTolerance must be a number');
  if (!(clockTolerance >= 0 && clockTolerance <= 60)) throw new RangeError('verifyAccessToken: clockTolerance must be 0 to 60');
  const validDate = currentDate === undefined || (currentDate instanceof Date && Number.isFinite(currentDate.getTime()));
  if (!validDate) throw new TypeError('verifyAccessToken: currentDate must be a valid Date');
  if (isRevoked !== undefined && typeof isRevoked !== 'function') throw new TypeError('verifyAccessToken: isRevoked must be a function');
  // A misspelt value must not quietly mean the default.
  if (signatureCheck !== undefined && !isSignatureCheck(signatureCheck)) throw new TypeError(`verifyAccessToken: signatureCheck must be 'pool' or 'inline'`);
  return clockTolerance;
}

/** Claim rules in a fixed order: presence, types, then values (RFC 9068 §4; RFC 8725 §3.8, §3.9). */
function checkClaims(claims: JsonObject, options: VerifyTokenOptions, tolerance: number, now: number): AccessTokenClaims {
  if (!REQUIRED_CLAIMS.every((claim) => Object.hasOwn(claims, claim))) reject('missing_claim');
  const { iss, sub, aud, exp, iat, jti, sid, client_id: clientId, roles, nbf } = claims;
  if (
    !isText(iss) || !isText(sub) || !isText(jti) || !isText(sid) || !isText(clientId) || !isTextList(roles) ||
    !(typeof aud === 'string' || isTextList(aud)) || !isNumericDate(exp) || !isNumericDate(iat) ||
    (nbf !== undefined && !isNumericDate(nbf))
  ) {
    reject('invalid_claim');
  }
  if (iss !== options.issuer) reject('wrong_issuer');
  if (!(typeof aud === 'string' ? aud === options.audience : aud.includes(options.audience))) reject('wrong_audience');
  if (exp <= now - tolerance) reject('expired');
  // A future `iat` is refused too (jose's own claim checks would do so only with maxTokenAge).
  if (iat > now + tolerance || (nbf !== undefined && nbf > now + tolerance)) reject('issued_in_future');
  return claims as AccessTokenClaims;
}

/**
 * Verifies a compact JWS access token (RFC 9068) and returns its claims. Rejects with a
 * {@link TokenVerificationError} for every bad token, whatever the input; only bad `options`
 * reject with a TypeError or RangeError.
 */
export async function verifyAccessToken(
  token: unknown, resolveKey: KeyResolver, options: VerifyTokenOptions,
): Promise<AccessTokenClaims> {
  const tolerance = checkOptions(options);
  const now = Math.floor((options.currentDate?.getTime() ?? Date.now()) / 1000);

  if (typeof token !== 'string') reject('malformed');
  // Length first: nothing of an oversized token is decoded or parsed.
  if (token.length > MAX_TOKEN_LENGTH) reject('too_large');
  // Three non-empty parts: no JWE, no unsecured JWS with its empty signature (RFC 8725 §2.1).
  if (!COMPACT_JWS.test(token)) reject('malformed');
  const [encodedHeader, encodedPayload, signature] = token.split('.');
  const header = decodeJsonSegment(encodedHeader);
  // Decoded once, here: its shape now, its claims once the signature holds.
  const payload = decodeJsonSegment(encodedPayload);
  const signatureBytes = decodeCanonical(signature);

  const { alg, typ, kid } = header;
  // Exact, case-sensitive: `none` in any casing, or HS256 where RS256 is configured, never passes.
  if (typeof alg !== 'string' || !(options.algorithms as readonly string[]).includes(alg)) reject('alg_not_allowed');
  if (FORBIDDEN_HEADERS.some((name) => Object.hasOwn(header, name))) reject('forbidden_header');
  // No extension is understood here, such as `b64` (RFC 7797; RFC 7515 §4.1.11).
  if (Object.hasOwn(header, 'crit')) reject('unsupported_crit');
  // Explicit typing: an ID token or a refresh token is never an access token (RFC 8725 §3.11).
  if (typeof typ !== 'string' || !ACCESS_TOKEN_TYP.test(typ)) reject('bad_typ');
  if (!isText(kid)) reject('unknown_kid');

  let key: VerificationKey | undefined;
  try {
    key = await resolveKey({ alg: alg as SigningAlgorithm, kid });
  } catch {
    reject('unknown_kid');
  }
  if (key === undefined || key === null) reject('unknown_kid');

  // The signature over the two segments as sent (RFC 7515 §5.2); every claim rule is checked once,
  // below, on the payload decoded above, which these bytes are.
  const signingInput = Buffer.from(token.slice(0, encodedHeader.length + 1 + encodedPayload.length), 'latin1');
  const valid =
    options.signatureCheck === 'inline'
      ? verifySignature(alg as SigningAlgorithm, key, signingInput, signatureBytes)
      : await verifySignatureOnPool(alg as SigningAlgorithm, key, signingInput, signatureBytes);
  if (!valid) reject('bad_signature');
  const verified = checkClaims(payload, options, tolerance, now);
  if (options.isRevoked && (await options.isRevoked(verified.sid))) reject('revoked');
  return verified;
}
