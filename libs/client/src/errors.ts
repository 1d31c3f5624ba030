/**
 * Why a call of the client failed:
 * - `session_ended`: the server refused the refresh (`invalid_grant`); the tokens are gone and
 *   `reason` says why (`reused`, `revoked`, `expired`, `session_expired`, `unknown`);
 * - `not_signed_in`: there is no session to refresh;
 * - `unavailable`: the network failed, or the server answered 429 or 5xx; the tokens are kept
 *   and the client tries again later;
 * - `rejected`: any other refusal (wrong password, validation, a locked account), as the server said it.
 */
export type TesseraErrorKind = 'session_ended' | 'not_signed_in' | 'unavailable' | 'rejected';

/** An error of the client, with the server's status, error code and reason when it answered. */
export class TesseraError extends Error {
  override readonly name = 'TesseraError';

  constructor(
    readonly kind: TesseraErrorKind,
    message: string,
    readonly status?: number,
    /** The server's `error` code (`invalid_grant`, `invalid_credentials`, `rate_limited`, …). */
    readonly code?: string,
    /** The server's `reason` for an `invalid_grant`. */
    readonly reason?: string,
    /** Seconds to wait, from `Retry-After`. */
    readonly retryAfter?: number,
    /** The server's validation details (`[{ field, message }]`). */
    readonly details: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}
