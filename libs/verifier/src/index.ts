/** @tessera/verifier: verify access tokens of a Tessera service (SPEC §3, §8). */
export { MAX_TOKEN_LENGTH, TokenVerificationError, verifyAccessToken } from './verify-token';
export type {
  AccessTokenClaims,
  KeyResolver,
  SigningAlgorithm,
  TokenRejectionReason,
  VerificationKey,
  VerifyTokenOptions,
} from './verify-token';
