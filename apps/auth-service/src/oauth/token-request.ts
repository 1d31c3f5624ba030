import { AppError } from '../common/app-error';
import type { TokenRequest } from './dto/token-request.dto';

/**
 * Which RFC 6749 §5.2 error a refresh request earns before its token is looked at, or the token to
 * rotate. Tessera has one public client (`JWT_CLIENT_ID`, authentication method `none`) and no scopes.
 */
export function checkTokenRequest(request: TokenRequest, clientId: string): { refreshToken: string } {
  if (request.grant_type === undefined) throw new AppError('invalid_request', 'grant_type is required');
  if (request.grant_type !== 'refresh_token') {
    throw new AppError('unsupported_grant_type', 'Only grant_type=refresh_token is served here; the first pair comes from POST /api/auth/login');
  }
  if (request.refresh_token === undefined) throw new AppError('invalid_request', 'refresh_token is required');
  if (request.client_id !== undefined && request.client_id !== clientId) {
    // RFC 6749 §5.2: 401 with a challenge. Basic is the scheme RFC 6749 §2.3.1 names (as Authlib answers).
    throw new AppError('invalid_client', 'Unknown client_id', undefined, undefined, { 'WWW-Authenticate': 'Basic realm="tessera", error="invalid_client"' });
  }
  if (request.scope !== undefined) throw new AppError('invalid_scope', 'This server defines no scopes; send no scope parameter');
  return { refreshToken: request.refresh_token };
}
