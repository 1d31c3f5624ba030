import type { MappedError } from './error-mapping';

/** The RFC 6749 token endpoint: its errors leave in the RFC's shape, not the JSON API's (SPEC §2). */
export const TOKEN_ENDPOINT_PATH = '/oauth/token';

/** RFC 6749 §5.2 codes, and the JSON API codes that mean a malformed request there. */
const OAUTH_CODES = new Set(['invalid_request', 'invalid_grant', 'unsupported_grant_type', 'invalid_client', 'invalid_scope']);
const MALFORMED = new Set(['validation_failed', 'invalid_json']);

const DESCRIPTIONS: Record<string, string> = {
  unsupported_media_type: 'Content-Type must be application/x-www-form-urlencoded (or application/json)',
};

/**
 * RFC 6749 §5.2: `{ error, error_description }`, 400 (401 for invalid_client, whose
 * `WWW-Authenticate` the error carries), plus `reason` for invalid_grant (SPEC §4). The other
 * failures (413, 415, 429, 503, 500, 404) keep the SPEC's shape and status, and add
 * `error_description` so that an OAuth library can show them too.
 */
export function toOAuthError(mapped: MappedError): { status: number; body: Record<string, unknown>; headers: Record<string, string> } {
  const { statusCode, error, message, details } = mapped.body;
  if (OAUTH_CODES.has(error) || MALFORMED.has(error)) {
    const code = OAUTH_CODES.has(error) ? error : 'invalid_request';
    const body: Record<string, unknown> = { error: code, error_description: describe(details?.[0]?.message ?? message) };
    if (code === 'invalid_grant' && mapped.body.reason !== undefined) body.reason = mapped.body.reason;
    return { status: code === 'invalid_client' ? 401 : 400, body, headers: mapped.headers };
  }
  return { status: statusCode, body: { ...mapped.body, error_description: describe(DESCRIPTIONS[error] ?? message) }, headers: mapped.headers };
}

/** RFC 6749 §5.2: error_description is printable ASCII without `"` and `\`. */
function describe(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?');
}
