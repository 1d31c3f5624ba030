/**
 * One set of rules (issue 11, SPEC §8): the auth service's own guard (a bearer guard over the
 * shared verification, fed by its key store and revoked-session cache) and the example API (the
 * verifier package over the JWKS and the feed), at the same clock tolerance, answer every token alike.
 */
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { RunningService, startAuthService } from './support/auth-service';
import { startExampleApi } from './support/example-api';
import { activeServiceKey, b64url, ServiceKey, sign, signRaw } from './support/forge';
import { claimsOf, newSession, TokenPair } from './support/flows';
import { call } from './support/http';

interface Answer {
  status: number;
  challenge: string | null;
  error?: unknown;
  message?: unknown;
}
type Case = [name: string, status: number, headers: (ctx: Ctx) => Promise<Record<string, string>>];
interface Ctx {
  key: ServiceKey;
  session: TokenPair;
  claims: Record<string, unknown>;
}

const NO_LIMITS = { RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REFRESH: '0', RATE_LIMIT_REGISTER: '0' };
const now = () => Math.floor(Date.now() / 1000);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
// Claims are computed when the case runs: a time taken when the table is built would be seconds old.
const forged = (header: Record<string, unknown>, extra: () => Record<string, unknown> = () => ({})) => async ({ key, claims }: Ctx) =>
  bearer(signRaw(key, { kid: key.kid, typ: 'at+jwt', ...header }, JSON.parse(JSON.stringify({ ...claims, ...extra() }))));

const CASES: Case[] = [
  ['a valid token', 200, async ({ session }) => bearer(session.access_token)],
  ['exp 3 s past, within the 5 s tolerance', 200, forged({}, () => ({ exp: now() - 3 }))],
  ['no Authorization header', 401, async () => ({})],
  ['Basic credentials', 401, async () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
  ['Bearer with two tokens', 401, async ({ session }) => ({ authorization: `Bearer ${session.access_token} ${session.access_token}` })],
  ['garbage', 401, async () => bearer('not-a-jwt')],
  ['the refresh token', 401, async ({ session }) => bearer(session.refresh_token)],
  ['alg none, no signature', 401, async ({ key, claims }) => bearer(`${b64url({ alg: 'none', kid: key.kid, typ: 'at+jwt' })}.${b64url(claims)}.`)],
  ['alg none, with a signature', 401, async ({ key, claims }) => bearer(`${b64url({ alg: 'none', kid: key.kid, typ: 'at+jwt' })}.${b64url(claims)}.AAAA`)],
  ['HS256 signed with the public key', 401, async ({ key, claims }) =>
    bearer(await sign({ ...key, alg: 'HS256', key: Buffer.from(JSON.stringify(key.publicJwk)) }, { kid: key.kid, typ: 'at+jwt' }, claims))],
  ['unknown kid', 401, forged({ kid: 'key-of-nobody' })],
  ['jku header', 401, forged({ jku: 'http://127.0.0.1:9/jwks.json' })],
  ['jwk header', 401, async (ctx) => forged({ jwk: ctx.key.publicJwk })(ctx)],
  ['crit header', 401, forged({ crit: ['b64'], b64: false })],
  ['typ JWT', 401, forged({ typ: 'JWT' })],
  ['sid missing', 401, forged({}, () => ({ sid: undefined }))],
  ['roles not a list', 401, forged({}, () => ({ roles: 'admin' }))],
  ['wrong iss', 401, forged({}, () => ({ iss: 'https://attacker.test' }))],
  ['wrong aud', 401, forged({}, () => ({ aud: 'billing' }))],
  ['expired beyond the tolerance', 401, forged({}, () => ({ exp: now() - 60 }))],
  ['iat in the future beyond the tolerance', 401, forged({}, () => ({ iat: now() + 60 }))],
  ['tampered payload (roles: admin)', 401, async ({ session }) => {
    const [h, p, s] = session.access_token.split('.');
    return bearer(`${h}.${b64url({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), roles: ['admin'] })}.${s}`);
  }],
  ['signature cut short', 401, async ({ session }) => bearer(session.access_token.slice(0, -8))],
  ['over 8 KiB', 401, forged({}, () => ({ pad: 'x'.repeat(8200) }))],
];

describe('the auth service and the example API answer every token alike', () => {
  let auth: RunningService;
  let api: { url: string; app: NestFastifyApplication };
  let ctx: Ctx;
  const answers = async (headers: Record<string, string>): Promise<[Answer, Answer]> => {
    const ask = async (url: string, path: string): Promise<Answer> => {
      const res = await call(url, 'GET', path, { headers });
      const body = res.body as { error?: unknown; message?: unknown } | undefined;
      return res.status === 200 ? { status: 200, challenge: null } : { status: res.status, challenge: res.headers.get('www-authenticate'), error: body?.error, message: body?.message };
    };
    return [await ask(auth.url, '/api/auth/me'), await ask(api.url, '/api/hello')];
  };

  beforeAll(async () => {
    auth = await startAuthService({ ...NO_LIMITS, CLOCK_TOLERANCE: '5' });
    api = await startExampleApi(auth, { AUTH_CLOCK_TOLERANCE: '5', AUTH_REVOCATIONS_URL: `${auth.url}/api/auth/revocations`, AUTH_REVOCATIONS_INTERVAL_MS: '200' });
    const session = await newSession(auth.url, 'same');
    ctx = { key: await activeServiceKey(auth.dataSource), session, claims: claimsOf(session.access_token) };
  });
  afterAll(async () => {
    await api?.app.close();
    await auth?.close();
  });

  it.each(CASES)('%s: %p from both', async (_name, status, headers) => {
    const [fromAuth, fromApi] = await answers(await headers(ctx));
    expect(fromAuth.status).toBe(status);
    expect(fromApi).toEqual(fromAuth);
    if (status === 401) expect(fromAuth).toMatchObject({ error: 'unauthorized', challenge: expect.stringMatching(/^Bearer/) });
  });

  it('a revoked session: refused by both (the example API within its polling interval), with the same answer', async () => {
    const doomed = await newSession(auth.url, 'same');
    expect((await call(auth.url, 'POST', '/api/auth/logout', { json: { refresh_token: doomed.refresh_token } })).status).toBe(204);
    let pair = await answers(bearer(doomed.access_token));
    for (let i = 0; i < 100 && pair[1].status === 200; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      pair = await answers(bearer(doomed.access_token));
    }
    expect(pair[0]).toEqual({ status: 401, challenge: 'Bearer error="invalid_token"', error: 'unauthorized', message: 'Session revoked' });
    expect(pair[1]).toEqual(pair[0]);
  });
});
