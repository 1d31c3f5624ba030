/** @tessera/verifier: verify access tokens of a Tessera service (SPEC §3, §8). */
export { createVerifier, DEFAULT_CLOCK_TOLERANCE } from './create-verifier';
export type { Verifier, VerifierOptions } from './create-verifier';
export type { RevocationFeedOptions } from './revocation-feed';
export { JWKS_CACHE_MAX_AGE_MS, JWKS_COOLDOWN_MS } from './remote-key-set';
export { MAX_TOKEN_LENGTH, TokenVerificationError, verifyAccessToken } from './verify-token';
export type {
  AccessTokenClaims,
  KeyResolver,
  SigningAlgorithm,
  TokenRejectionReason,
  VerificationKey,
  VerifyTokenOptions,
} from './verify-token';
