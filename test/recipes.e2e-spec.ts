/**
 * The README's Node recipe (examples/express-jwks-rsa.cjs: jwks-rsa + jsonwebtoken) against the real
 * service: it accepts Tessera's RS256 and ES256 tokens, refuses what it must (typ included), and
 * cannot read an EdDSA key, which is why the README says to choose RS256 or ES256 for such stacks.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { RunningService, startAuthService } from './support/auth-service';
import { activeServiceKey, sign } from './support/forge';
import { claimsOf, newSession } from './support/flows';

type Verify = (token: string) => Promise<Record<string, unknown>>;
interface Recipe {
  tesseraVerifier(options: { issuer: string; audience: string; jwksUri: string; algorithms?: string[] }): Verify;
  requireTesseraToken(verify: Verify): (req: unknown, res: unknown, next: () => void) => void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const recipe: Recipe = require('../examples/express-jwks-rsa.cjs');

const outcome = (promise: Promise<unknown>) => promise.then(() => 'accepted', (e: Error) => `refused: ${e.message}`);

describe.each([
  ['RS256', ['RS256']],
  ['ES256', ['ES256']],
])('Express recipe (jwks-rsa + jsonwebtoken) with JWT_ALG=%s', (alg, algorithms) => {
  let auth: RunningService;
  let verify: Verify;
  beforeAll(async () => {
    auth = await startAuthService({ JWT_ALG: alg });
    verify = recipe.tesseraVerifier({ issuer: auth.config.tokens.issuer, audience: 'tessera', jwksUri: `${auth.url}/.well-known/jwks.json`, algorithms });
  });
  afterAll(() => auth?.close());

  it('accepts an access token of the service, resolving its claims', async () => {
    const s = await newSession(auth.url, 'recipe');
    await expect(verify(s.access_token)).resolves.toEqual(claimsOf(s.access_token));
  });

  it('refuses another audience, another issuer, a tampered token, a refresh token, and typ JWT', async () => {
    const s = await newSession(auth.url, 'recipe');
    const jwksUri = `${auth.url}/.well-known/jwks.json`;
    const otherAudience = recipe.tesseraVerifier({ issuer: auth.config.tokens.issuer, audience: 'billing', jwksUri, algorithms });
    const otherIssuer = recipe.tesseraVerifier({ issuer: 'https://elsewhere.test', audience: 'tessera', jwksUri, algorithms });
    expect(await outcome(otherAudience(s.access_token))).toMatch(/^refused: jwt audience invalid/);
    expect(await outcome(otherIssuer(s.access_token))).toMatch(/^refused: jwt issuer invalid/);
    expect(await outcome(verify(`${s.access_token.slice(0, -4)}AAAA`))).toMatch(/^refused/);
    expect(await outcome(verify(s.refresh_token))).toMatch(/^refused/);
    const key = await activeServiceKey(auth.dataSource);
    const idToken = await sign(key, { kid: key.kid, typ: 'JWT' }, claimsOf(s.access_token));
    expect(await outcome(verify(idToken))).toBe('refused: not an access token');
  });

  it('the middleware sets req.claims, or answers 401 with the RFC 6750 challenge', async () => {
    const s = await newSession(auth.url, 'recipe');
    const run = (authorization?: string) =>
      new Promise<{ status?: number; challenge?: string; claims?: unknown }>((resolve) => {
        const req: { headers: Record<string, string>; claims?: unknown } = { headers: authorization ? { authorization } : {} };
        const result: { status?: number; challenge?: string } = {};
        const res = {
          status: (code: number) => ((result.status = code), res),
          set: (_name: string, value: string) => ((result.challenge = value), res),
          json: () => resolve(result),
        };
        recipe.requireTesseraToken(verify)(req, res, () => resolve({ claims: req.claims }));
      });
    expect(await run(`Bearer ${s.access_token}`)).toEqual({ claims: claimsOf(s.access_token) });
    expect(await run()).toEqual({ status: 401, challenge: 'Bearer' });
    expect(await run('Bearer nope')).toEqual({ status: 401, challenge: 'Bearer error="invalid_token"' });
  });
});

describe('Express recipe with JWT_ALG=EdDSA', () => {
  it('cannot verify: jwks-rsa and jsonwebtoken do not read OKP keys (choose RS256 or ES256 for such stacks)', async () => {
    const auth = await startAuthService({ JWT_ALG: 'EdDSA' });
    try {
      const s = await newSession(auth.url, 'recipe');
      const verify = recipe.tesseraVerifier({ issuer: auth.config.tokens.issuer, audience: 'tessera', jwksUri: `${auth.url}/.well-known/jwks.json`, algorithms: ['EdDSA'] });
      expect(await outcome(verify(s.access_token))).toMatch(/^refused/);
    } finally {
      await auth.close();
    }
  });
});

// The Python recipe runs where a python3 with PyJWT (and cryptography) is installed.
// (TESSERA_TEST_PYTHON, else the first python3 on PATH or the system's that has it).
const PYTHON = [process.env.TESSERA_TEST_PYTHON, 'python3', '/usr/bin/python3'].find(
  (candidate) => candidate && spawnSync(candidate, ['-c', 'import jwt, cryptography'], { stdio: 'ignore' }).status === 0,
);
const hasPyJwt = PYTHON !== undefined;
// Asynchronously: the service answering the recipe's JWKS request runs in this very process.
const pyjwt = (auth: RunningService, alg: string, token: string, audience = 'tessera') =>
  new Promise<unknown>((resolve) => {
    const args = [join(__dirname, '../examples/pyjwt_verify.py'), auth.config.tokens.issuer, audience, `${auth.url}/.well-known/jwks.json`, alg, token];
    execFile(PYTHON!, args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout) => resolve(error ? stdout.trim() : JSON.parse(stdout)));
  });

describe.each(['RS256', 'ES256', 'EdDSA'])('Python recipe (PyJWT) with JWT_ALG=%s', (alg) => {
  (hasPyJwt ? it : it.skip)('(needs python3 with PyJWT) accepts an access token, refuses another audience, a refresh token and typ JWT', async () => {
    const auth = await startAuthService({ JWT_ALG: alg });
    try {
      const s = await newSession(auth.url, 'pyrecipe');
      expect(await pyjwt(auth, alg, s.access_token)).toEqual(claimsOf(s.access_token));
      expect(await pyjwt(auth, alg, s.access_token, 'billing')).toMatch(/^refused: InvalidAudienceError/);
      expect(await pyjwt(auth, alg, s.refresh_token)).toMatch(/^refused/);
      const key = await activeServiceKey(auth.dataSource);
      expect(await pyjwt(auth, alg, await sign(key, { kid: key.kid, typ: 'JWT' }, claimsOf(s.access_token)))).toBe('refused: InvalidTokenError: not an access token');
    } finally {
      await auth.close();
    }
  });
});
