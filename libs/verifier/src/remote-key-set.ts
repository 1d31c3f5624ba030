import { createRemoteJWKSet, errors } from 'jose';
import type { KeyResolver, VerificationKey } from './verify-token';

/**
 * How long fetched keys are trusted without asking again: the issuer's JWKS `max-age` (Tessera
 * sends 300 s). A longer cache would keep a key that an urgent rotation retired (SPEC §7).
 */
export const JWKS_CACHE_MAX_AGE_MS = 300_000;
/** An unknown `kid` refetches the key set at most once per 30 s, so random kids cannot flood the issuer (SPEC §8). */
export const JWKS_COOLDOWN_MS = 30_000;
/** A JWKS request that takes longer fails (the token is refused as `unknown_kid`), rather than hanging the request. */
export const JWKS_TIMEOUT_MS = 5_000;

/**
 * A key resolver over the issuer's JWKS, through jose's remote key set: it caches, refetches on an
 * unknown `kid` after the cooldown (which picks up a rotated key), shares one fetch between
 * concurrent callers, and matches a key by `kid` and by the algorithm the key itself declares.
 * While the issuer is down, cached keys keep working until `max-age`; anything else is unknown.
 */
export function remoteKeyResolver(jwksUri: URL): KeyResolver {
  const keySet = createRemoteJWKSet(jwksUri, {
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    cooldownDuration: JWKS_COOLDOWN_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
  });
  // jose's cooldown counts from the last fetch that succeeded: while the issuer fails, every
  // unknown kid (and every request once the cache is stale) would fetch again. After a failed
  // fetch, such lookups wait the same cooldown instead, so a struggling issuer is not flooded.
  let failedAt = Number.NEGATIVE_INFINITY;
  const cached = (kid: string) => keySet.fresh && Boolean(keySet.jwks()?.keys.some((jwk) => jwk.kid === kid));
  // A failure (no such key, issuer unreachable, bad JSON) throws: verify-token refuses the token as unknown_kid.
  return async ({ alg, kid }) => {
    if (Date.now() - failedAt < JWKS_COOLDOWN_MS && !cached(kid)) throw new errors.JWKSNoMatchingKey();
    try {
      return (await keySet({ alg, kid })) as VerificationKey;
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) failedAt = Date.now();
      throw error;
    }
  };
}
