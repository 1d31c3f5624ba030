import { importJWK, JWK, jwtVerify } from 'jose';
import type { AppConfig } from '../config/app-config';
import { ThreadPool } from '../infra/thread-pool';
import { generateSigningKey, importPrivateKey } from '../keys/key-material';
import type { KeyStore } from '../keys/key-store.service';
import { AccessTokenService } from './access-token.service';

/** A pool whose state the test sets, counting how often the service asked. */
class FixedPool extends ThreadPool {
  asked = 0;
  constructor(private readonly idle: boolean) {
    super();
  }
  override hasIdleThread(): boolean {
    this.asked++;
    return this.idle;
  }
}

const TOKENS = { issuer: 'https://id.example', audience: ['tessera'], clientId: 'tessera', accessTtl: 900 } as Partial<AppConfig['tokens']> as AppConfig['tokens'];
const USER = { id: '0193a1b2-0000-7000-8000-000000000001', email: 'ada@example.com', name: null, roles: ['user'], created_at: '2026-01-01T00:00:00.000Z' };

describe('AccessTokenService', () => {
  // With a thread of the pool free of argon2 the RSA signature is made there, else on the main thread: the same token rules either way.
  it.each([true, false])('signs a token jose verifies, with the same header and claims, whether the pool has an idle thread (%s) or not', async (idle) => {
    const generated = await generateSigningKey('RS256');
    const key = await importPrivateKey('RS256', generated.privateJwk);
    const keys = { activeKey: () => ({ kid: generated.kid, alg: 'RS256', key }) } as unknown as KeyStore;
    const pool = new FixedPool(idle);
    const service = new AccessTokenService({ tokens: TOKENS } as AppConfig, keys, pool);
    const sessionEndsAt = new Date(Date.now() + 3_600_000);
    const response = await service.tokenResponse(USER, { userId: USER.id, sessionId: 'session-1', refreshToken: 'rt_x', refreshExpiresIn: 600, sessionEndsAt });

    expect(pool.asked).toBe(1);
    const { payload, protectedHeader } = await jwtVerify(response.access_token, await importJWK(generated.publicJwk as JWK, 'RS256'), {
      issuer: TOKENS.issuer,
      audience: 'tessera',
      typ: 'at+jwt',
      algorithms: ['RS256'],
    });
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: generated.kid, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: USER.id, sid: 'session-1', client_id: 'tessera', roles: ['user'] });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(response).toMatchObject({ token_type: 'Bearer', expires_in: 900, refresh_token: 'rt_x', refresh_expires_in: 600, user: USER });
  });
});
