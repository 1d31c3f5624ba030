/** Stable machine codes of SPEC §2, and the HTTP status each one answers with. */
export const ERROR_STATUS = {
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_grant: 401,
  forbidden: 403,
  not_found: 404,
  email_taken: 409,
  key_rotation_too_early: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  account_locked: 429,
  internal_error: 500,
  unavailable: 503,
  // RFC 6749 §5.2, answered by POST /oauth/token only (as 400, or 401 for invalid_client; see oauth-error-shape.ts).
  invalid_request: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_client: 401,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  field: string;
  message: string;
}

/**
 * The one error type services throw. `extra` rides beside the standard members of the body
 * (e.g. `reason` on `invalid_grant`); `headers` are set on the response (e.g. `WWW-Authenticate`).
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly extra?: Record<string, string | number>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static unauthorized(message = 'Authentication required', tokenPresented = false): AppError {
    // RFC 6750 §3: a request without credentials gets the bare challenge; a bad token, invalid_token.
    const challenge = tokenPresented ? 'Bearer error="invalid_token"' : 'Bearer';
    return new AppError('unauthorized', message, undefined, undefined, { 'WWW-Authenticate': challenge });
  }
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: ErrorDetail[];
  [extra: string]: unknown;
}
