import { AppError } from '../common/app-error';
import { checkTokenRequest } from './token-request';

const codeOf = (request: Parameters<typeof checkTokenRequest>[0]): string | undefined => {
  try {
    checkTokenRequest(request, 'tessera');
    return undefined;
  } catch (error) {
    return (error as AppError).code;
  }
};

describe('refresh requests of RFC 6749 §6', () => {
  it('hands the token on when the request is a refresh grant of our client with no scope', () => {
    expect(checkTokenRequest({ grant_type: 'refresh_token', refresh_token: 'rt_a' }, 'tessera')).toEqual({ refreshToken: 'rt_a' });
    expect(checkTokenRequest({ grant_type: 'refresh_token', refresh_token: 'rt_a', client_id: 'tessera' }, 'tessera')).toEqual({ refreshToken: 'rt_a' });
  });

  it('names the §5.2 error of each defect', () => {
    expect(codeOf({ refresh_token: 'rt_a' })).toBe('invalid_request');
    expect(codeOf({ grant_type: 'password', refresh_token: 'rt_a' })).toBe('unsupported_grant_type');
    expect(codeOf({ grant_type: 'Refresh_Token', refresh_token: 'rt_a' })).toBe('unsupported_grant_type');
    expect(codeOf({ grant_type: 'refresh_token' })).toBe('invalid_request');
    expect(codeOf({ grant_type: 'refresh_token', refresh_token: 'rt_a', client_id: 'other' })).toBe('invalid_client');
    expect(codeOf({ grant_type: 'refresh_token', refresh_token: 'rt_a', scope: 'openid' })).toBe('invalid_scope');
  });

  it('challenges an unknown client with WWW-Authenticate', () => {
    try {
      checkTokenRequest({ grant_type: 'refresh_token', refresh_token: 'rt_a', client_id: 'other' }, 'tessera');
      throw new Error('accepted');
    } catch (error) {
      expect((error as AppError).status).toBe(401);
      expect((error as AppError).headers?.['WWW-Authenticate']).toMatch(/^Basic /);
    }
  });
});
