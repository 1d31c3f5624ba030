import { AppError } from './app-error';
import { mapError } from './error-mapping';
import { toOAuthError } from './oauth-error-shape';

describe('RFC 6749 §5.2 errors of the token endpoint', () => {
  it('answers invalid_grant as 400 with its reason, and nothing else of the JSON API shape', () => {
    const { status, body } = toOAuthError(mapError(new AppError('invalid_grant', 'Refresh token was already used; the session is revoked', undefined, { reason: 'reused' })));
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'invalid_grant', error_description: 'Refresh token was already used; the session is revoked', reason: 'reused' });
  });

  it('answers invalid_client as 401 and keeps its challenge', () => {
    const error = new AppError('invalid_client', 'Unknown client_id', undefined, undefined, { 'WWW-Authenticate': 'Basic realm="tessera"' });
    expect(toOAuthError(mapError(error))).toEqual({ status: 401, body: { error: 'invalid_client', error_description: 'Unknown client_id' }, headers: { 'WWW-Authenticate': 'Basic realm="tessera"' } });
  });

  it('turns malformed requests into invalid_request, described by the first validation detail', () => {
    const validation = new AppError('validation_failed', 'Request validation failed', [{ field: 'scope', message: 'scope must not be repeated' }]);
    expect(toOAuthError(mapError(validation)).body).toEqual({ error: 'invalid_request', error_description: 'scope must not be repeated' });
    expect(toOAuthError(mapError(new AppError('invalid_json', 'Request body is not valid JSON'))).body).toMatchObject({ error: 'invalid_request' });
  });

  it('keeps the SPEC code, status and headers of 413, 415, 429 and 503, adding error_description', () => {
    for (const [code, status] of [['payload_too_large', 413], ['unsupported_media_type', 415], ['rate_limited', 429], ['unavailable', 503]] as const) {
      const headers: Record<string, string> = code === 'rate_limited' ? { 'Retry-After': '30' } : {};
      const mapped = toOAuthError(mapError(new AppError(code, 'Too many "requests" \\ ü', undefined, undefined, headers)));
      expect(mapped.status).toBe(status);
      expect(mapped.headers).toEqual(headers);
      expect(mapped.body).toMatchObject({ statusCode: status, error: code, message: expect.any(String) });
      // Printable ASCII without quote and backslash (RFC 6749 §5.2).
      expect(mapped.body.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
    }
  });

  it('keeps a database outage a 503 with Retry-After', () => {
    const mapped = toOAuthError(mapError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })));
    expect(mapped).toMatchObject({ status: 503, body: { error: 'unavailable', error_description: expect.any(String) }, headers: { 'Retry-After': '5' } });
  });
});
