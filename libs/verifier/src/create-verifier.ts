import { remoteKeyResolver } from './remote-key-set';
import { RevocationFeed, RevocationFeedOptions } from './revocation-feed';
import { AccessTokenClaims, isSignatureCheck, SignatureCheck, SigningAlgorithm, verifyAccessToken } from './verify-token';

/** What a resource service knows of its issuer: fixed by configuration, never read from a token. */
export interface VerifierOptions {
  /** The issuer's `iss`, exactly (Tessera's JWT_ISSUER). */
  issuer: string;
  /** The audience this service accepts: the token's `aud` must contain it. */
  audience: string;
  /** The issuer's JWKS URL, e.g. `https://id.example.com/.well-known/jwks.json`. */
  jwksUri: string | URL;
  /** Seconds of leeway on `exp` and `iat`: 5 by default, at most 60. */
  clockTolerance?: number;
  /**
   * Allow-list of algorithms (default RS256, ES256, EdDSA); each key is used only with the
   * algorithm it declares in the JWKS. HS256 is refused: a shared secret is never in a JWKS.
   */
  algorithms?: readonly Exclude<SigningAlgorithm, 'HS256'>[];
  /** Follow the issuer's revocation feed, so that a revoked session's tokens are refused before `exp`. */
  revocations?: RevocationFeedOptions;
  /**
   * `'pool'` (default): signatures are checked on libuv's thread pool, beside the main thread;
   * `'inline'`: on the main thread, for a service whose pool is taken by long jobs of its own
   * (password hashing, big file reads). See VerifyTokenOptions.signatureCheck.
   */
  signatureCheck?: SignatureCheck;
}

/** A configured verifier; `close()` stops its revocation feed. */
export interface Verifier {
  /**
   * Resolves to the claims of a valid access token; rejects with a TokenVerificationError that
   * says why (`reason`) for anything else, whatever the input.
   */
  verify(token: unknown): Promise<AccessTokenClaims>;
  close(): void;
}

export const DEFAULT_CLOCK_TOLERANCE = 5;
const JWKS_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

function jwksUrl(value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('createVerifier: jwksUri must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('createVerifier: jwksUri must be http(s)');
  return url;
}

/**
 * A verifier of Tessera access tokens for a service that trusts the issuer's JWKS (SPEC §3, §8).
 * Bad options throw at once (TypeError, RangeError), so that a misconfigured service fails at start.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const { issuer, audience, clockTolerance = DEFAULT_CLOCK_TOLERANCE, signatureCheck = 'pool' } = options;
  if (!isSignatureCheck(signatureCheck)) throw new TypeError(`createVerifier: signatureCheck must be 'pool' or 'inline'`);
  const algorithms = options.algorithms ?? JWKS_ALGORITHMS;
  if (!Array.isArray(algorithms) || !algorithms.length || !algorithms.every((a) => JWKS_ALGORITHMS.includes(a))) {
    throw new TypeError(`createVerifier: algorithms must be a non-empty list of ${JWKS_ALGORITHMS.join(', ')}`);
  }
  checkNow({ issuer, audience, clockTolerance });
  const resolveKey = remoteKeyResolver(jwksUrl(options.jwksUri));
  const feed = options.revocations ? new RevocationFeed(options.revocations) : undefined;
  const verifyOptions = {
    issuer,
    audience,
    algorithms,
    clockTolerance,
    isRevoked: feed ? (sid: string) => feed.has(sid) : undefined,
    signatureCheck,
  };
  feed?.start();
  return {
    verify: (token) => verifyAccessToken(token, resolveKey, verifyOptions),
    close: () => feed?.close(),
  };
}

function checkNow({ issuer, audience, clockTolerance }: { issuer: unknown; audience: unknown; clockTolerance: unknown }): void {
  if (typeof issuer !== 'string' || !issuer || typeof audience !== 'string' || !audience) {
    throw new TypeError('createVerifier: issuer and audience must be non-empty strings');
  }
  if (typeof clockTolerance !== 'number') throw new TypeError('createVerifier: clockTolerance must be a number');
  if (!(clockTolerance >= 0 && clockTolerance <= 60)) throw new RangeError('createVerifier: clockTolerance must be 0 to 60');
}
