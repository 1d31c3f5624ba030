import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, JWK } from 'jose';
import { RunningService, startAuthService } from './support/auth-service';
import { activeServiceKey, b64url, ServiceKey, sign, signRaw } from './support/forge';
import { call, STRONG_PASSWORD, uniqueEmail } from './support/http';

async function signIn(service: RunningService, roles?: string) {
  const email = uniqueEmail(roles ?? 'tok');
  await call(service.url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } });
  const res = await call(service.url, 'POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD } });
  return res.body as { access_token: string; user: { id: string } };
}

describe.each(['RS256', 'ES256', 'EdDSA'])('keys and tokens with JWT_ALG=%s (SPEC §2 keys, §3, §7)', (alg) => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService({ JWT_ALG: alg });
  });
  afterAll(() => service?.close());

  it('publishes the public key only, cacheable, and a standard JOSE library verifies a token with it', async () => {
    const jwks = await call<{ keys: JWK[] }>(service.url, 'GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300');
    // The active key, and the next one published ahead of its turn (SPEC §7).
    expect(jwks.body.keys).toHaveLength(2);
    for (const key of jwks.body.keys) {
      expect(key).toMatchObject({ kid: expect.any(String), use: 'sig', alg });
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(secret);
    }
    const { access_token, user } = await signIn(service);
    const key = jwks.body.keys.find((k) => k.kid === JSON.parse(Buffer.from(access_token.split('.')[0], 'base64url').toString()).kid);
    expect(key).toBeDefined();
    const { payload, protectedHeader } = await jwtVerify(access_token, createRemoteJWKSet(new URL(`${service.url}/.well-known/jwks.json`)), {
      issuer: 'http://tessera.test',
      audience: 'tessera',
      typ: 'at+jwt',
      algorithms: [alg],
    });
    expect(protectedHeader.kid).toBe(key?.kid);
    expect(payload.sub).toBe(user.id);
  });

  it('serves discovery built from JWT_ISSUER, never from the Host header', async () => {
    const res = await call(service.url, 'GET', '/.well-known/openid-configuration', { headers: { host: 'evil.example' } });
    expect(res.status).toBe(200);
    // Only what is served (SPEC §2): no password grant, no response types, no ID-token algorithms.
    expect(res.body).toEqual({
      issuer: 'http://tessera.test',
      jwks_uri: 'http://tessera.test/.well-known/jwks.json',
      token_endpoint: 'http://tessera.test/oauth/token',
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint: 'http://tessera.test/api/auth/revoke',
      revocation_endpoint_auth_methods_supported: ['none'],
    });
    expect(res.text).not.toContain('evil.example');
  });

  describe('the guard refuses forged tokens with 401, never 500', () => {
    let key: ServiceKey;
    let claims: Record<string, unknown>;
    const now = () => Math.floor(Date.now() / 1000);

    beforeAll(async () => {
      key = await activeServiceKey(service.dataSource);
      const { user, access_token } = await signIn(service);
      const sid = JSON.parse(Buffer.from(access_token.split('.')[1], 'base64url').toString()).sid as string;
      claims = { iss: 'http://tessera.test', sub: user.id, aud: 'tessera', iat: now(), exp: now() + 600, jti: randomUUID(), sid, client_id: 'tessera', roles: ['user'] };
    });

    const expectRefused = async (token: string) => {
      const res = await call(service.url, 'GET', '/api/auth/me', { token });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'unauthorized' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    };

    it('accepts a well-formed token signed with the active key (the control case)', async () => {
      const token = await sign(key, { kid: key.kid, typ: 'at+jwt' }, claims);
      expect((await call(service.url, 'GET', '/api/auth/me', { token })).status).toBe(200);
      const mediaType = await sign(key, { kid: key.kid, typ: 'application/at+jwt' }, claims);
      expect((await call(service.url, 'GET', '/api/auth/me', { token: mediaType })).status).toBe(200);
    });

    it.each([
      ['typ JWT', { typ: 'JWT' }, {}],
      ['no typ', { typ: undefined }, {}],
      ['typ rt+jwt (a refresh token is never an access token)', { typ: 'rt+jwt' }, {}],
      ['an unknown kid', { kid: 'not-a-key' }, {}],
      ['no kid', { kid: undefined }, {}],
      ['a jku header', { jku: 'http://127.0.0.1:9/jwks.json' }, {}],
      ['an x5u header', { x5u: 'http://127.0.0.1:9/cert.pem' }, {}],
      ['a jwk header', { jwk: { kty: 'oct', k: 'AAAA' } }, {}],
      ['an x5c header', { x5c: ['MIIB'] }, {}],
      ['a wrong iss', {}, { iss: 'http://evil.example' }],
      ['an aud without ours', {}, { aud: ['other', 'another'] }],
      ['an expired exp', {}, { exp: now() - 1 }],
      ['no exp', {}, { exp: undefined }],
      ['an iat in the future', {}, { iat: now() + 120 }],
      ['no sub', {}, { sub: undefined }],
      ['no jti', {}, { jti: undefined }],
      ['no sid', {}, { sid: undefined }],
      ['no client_id', {}, { client_id: undefined }],
      ['no roles', {}, { roles: undefined }],
      ['roles that are not an array', {}, { roles: 'admin' }],
    ])('%s', async (_, header, patch) => {
      const body: Record<string, unknown> = { ...claims, ...(patch as Record<string, unknown>) };
      const h = { kid: key.kid, typ: 'at+jwt', ...header };
      for (const k of Object.keys(h)) if ((h as Record<string, unknown>)[k] === undefined) delete (h as Record<string, unknown>)[k];
      for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
      await expectRefused(await sign(key, h, body));
    });

    it('a crit header, even one jose itself understands (b64)', async () => {
      const control = signRaw(key, { kid: key.kid, typ: 'at+jwt' }, claims);
      expect((await call(service.url, 'GET', '/api/auth/me', { token: control })).status).toBe(200);
      await expectRefused(signRaw(key, { kid: key.kid, typ: 'at+jwt', crit: ['exp'], exp: 1 }, claims));
      await expectRefused(signRaw(key, { kid: key.kid, typ: 'at+jwt', crit: ['b64'], b64: true }, claims));
      await expectRefused(signRaw(key, { kid: key.kid, typ: 'at+jwt', crit: [] }, claims));
    });

    it('alg none in any casing, with or without a signature', async () => {
      for (const none of ['none', 'None', 'NONE', 'nOnE']) {
        const unsigned = `${b64url({ alg: none, kid: key.kid, typ: 'at+jwt' })}.${b64url(claims)}`;
        await expectRefused(`${unsigned}.`);
        await expectRefused(`${unsigned}.${b64url('sig')}`);
      }
    });

    it('HS256 with the public key as the HMAC secret (key confusion)', async () => {
      const pem = createPublicKey({ key: key.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
      const input = `${b64url({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })}.${b64url(claims)}`;
      for (const secret of [pem, JSON.stringify(key.publicJwk)]) {
        await expectRefused(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`);
      }
    });

    it('a tampered payload, a flipped or empty signature, and shapes that are not a JWS', async () => {
      const token = await sign(key, { kid: key.kid, typ: 'at+jwt' }, claims);
      const [h, p, s] = token.split('.');
      await expectRefused(`${h}.${b64url({ ...claims, roles: ['user', 'admin'] })}.${s}`);
      await expectRefused(`${h}.${p}.${s.slice(0, -2)}${s.endsWith('A') ? 'BB' : 'AA'}`);
      await expectRefused(`${h}.${p}.`);
      for (const bad of ['', 'a', 'a.b', 'a.b.c.d', `${h}.${p}`, `${h}..${s}`, '!!!.???.***', `${h}.${p}.${s}.${s}`, 'x'.repeat(9000), `${h}.${'A'.repeat(9000)}.${s}`]) {
        await expectRefused(bad);
      }
    });

    it('a token signed by another key that claims our kid', async () => {
      const { generateKeyPair, SignJWT } = await import('jose');
      const other = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
      await expectRefused(await new SignJWT(claims).setProtectedHeader({ alg, kid: key.kid, typ: 'at+jwt' }).sign(other.privateKey));
    });
  });
});

describe('HS256 outside production', () => {
  it('signs with a secret that is never published, and verifies its own tokens', async () => {
    const service = await startAuthService({ JWT_ALG: 'HS256' });
    try {
      const jwks = await call<{ keys: unknown[] }>(service.url, 'GET', '/.well-known/jwks.json');
      expect(jwks.body.keys).toEqual([]);
      const { access_token } = await signIn(service);
      expect(JSON.parse(Buffer.from(access_token.split('.')[0], 'base64url').toString()).alg).toBe('HS256');
      expect((await call(service.url, 'GET', '/api/auth/me', { token: access_token })).status).toBe(200);
    } finally {
      await service.close();
    }
  });
});

describe('several audiences', () => {
  it('puts every configured audience in aud and accepts the token', async () => {
    const service = await startAuthService({ JWT_AUDIENCE: 'tessera,billing' });
    try {
      const { access_token } = await signIn(service);
      const jwks = (await call<{ keys: JWK[] }>(service.url, 'GET', '/.well-known/jwks.json')).body;
      const { payload } = await jwtVerify(access_token, createLocalJWKSet(jwks), { audience: 'billing' });
      expect(payload.aud).toEqual(['tessera', 'billing']);
      expect((await call(service.url, 'GET', '/api/auth/me', { token: access_token })).status).toBe(200);
    } finally {
      await service.close();
    }
  });
});
