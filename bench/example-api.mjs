// Example API benchmark (issue 11): GET /api/hello on the built example API (NestJS + Fastify +
// @tessera/verifier's guard, polling the revocation feed every second), against a floor: bare
// node:http + jose (createRemoteJWKSet + jwtVerify with the same issuer, audience, algorithm, typ
// and clock tolerance) answering the same claims as JSON. Both verify the same access token, issued
// by the real auth service on a fresh PostgreSQL database (limits and lockout off).
// Target: example API ≥ 0.8 × floor. Run: `node bench/example-api.mjs [--quick]`
// (BENCH_SECONDS, BENCH_WARMUP; BENCH_CPU_PROF=1 profiles every process into bench/results/prof/).
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AUTH_ENTRY, EXAMPLE_ENTRY, QUICK, ROOT, call, cleanup, freshDatabase, measure, round, serviceEnv, start, stop, table,
} from './harness.mjs';

const ISSUER = 'http://tessera.bench.test'; // any issuer will do: the verifiers are told where the JWKS is
const AUDIENCE = 'tessera';
const CLOCK_TOLERANCE_S = 5; // the example API's default
const PASSWORD = 'bench passphrase 2026';

async function issueToken(port) {
  const credentials = { email: `hello-${process.pid}@example.com`, password: PASSWORD };
  const registered = await call(port, 'POST', '/api/auth/register', credentials);
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${JSON.stringify(registered.json)}`);
  const login = await call(port, 'POST', '/api/auth/login', credentials);
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${JSON.stringify(login.json)}`);
  return login.json.access_token;
}

/** Both targets must answer the token's own claims before anything is measured. */
async function checkAnswers(port, token) {
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));
  const ok = await call(port, 'GET', '/api/hello', undefined, { authorization: `Bearer ${token}` });
  if (ok.status !== 200 || ok.json?.sid !== claims.sid || ok.json?.jti !== claims.jti) throw new Error(`GET /api/hello answered ${ok.status}: ${JSON.stringify(ok.json)}`);
  const forged = await call(port, 'GET', '/api/hello', undefined, { authorization: `Bearer ${token.slice(0, -4)}AAAA` });
  if (forged.status !== 401) throw new Error(`a forged signature answered ${forged.status}`);
}

async function run(label, args, env, token) {
  const { child, port } = await start(label, args, env);
  await checkAnswers(port, token);
  const load1 = round(loadavg()[0], 2);
  const result = await measure(child.pid, { url: `http://127.0.0.1:${port}/api/hello`, headers: { authorization: `Bearer ${token}` } }, 200);
  await stop(child);
  return { ...result, load1 };
}

async function main() {
  const databaseUrl = await freshDatabase('hello');
  const auth = await start('auth service', [AUTH_ENTRY], serviceEnv(databaseUrl, {
    JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, ACCESS_TOKEN_TTL: '3600',
    RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REFRESH: '0', RATE_LIMIT_REGISTER: '0', LOCKOUT_THRESHOLD: '0', LOCKOUT_IDENTIFIER_THRESHOLD: '0',
  }));
  const token = await issueToken(auth.port);
  const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url'));
  const base = `http://127.0.0.1:${auth.port}`;
  const jwksUri = `${base}/.well-known/jwks.json`;
  const results = { at: new Date().toISOString(), node: process.version, quick: QUICK, alg: header.alg };
  results.exampleApi = await run('example API', [EXAMPLE_ENTRY], {
    NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, AUTH_JWKS_URI: jwksUri,
    AUTH_CLOCK_TOLERANCE: String(CLOCK_TOLERANCE_S), AUTH_REVOCATIONS_URL: `${base}/api/auth/revocations`, AUTH_REVOCATIONS_INTERVAL_MS: '1000',
  }, token);
  results.floor = await run('floor', [fileURLToPath(import.meta.url), '--floor'], {
    FLOOR_ISSUER: ISSUER, FLOOR_AUDIENCE: AUDIENCE, FLOOR_JWKS_URI: jwksUri, FLOOR_ALG: header.alg,
  }, token);
  results.ratio = round(results.exampleApi.rps / results.floor.rps, 2);
  await stop(auth.child);

  table(`GET /api/hello, ${header.alg} token, PostgreSQL-backed issuer`, [
    ['example API (Nest + Fastify + verifier + feed)', results.exampleApi],
    ['floor (node:http + jose jwtVerify)', results.floor],
  ]);
  console.log(`\nexample API / floor: ${results.ratio} (target ≥ 0.8); load average ${results.exampleApi.load1} / ${results.floor.load1} before each`);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, `bench/results/example-api${QUICK ? '-quick' : ''}.json`), `${JSON.stringify(results, null, 2)}\n`);
  if (results.exampleApi.errors || results.floor.errors) process.exitCode = 1;
}

/** The floor: what a careful engineer would write with node:http and jose alone. */
async function floor() {
  const { createRemoteJWKSet, jwtVerify } = await import('jose');
  const jwks = createRemoteJWKSet(new URL(process.env.FLOOR_JWKS_URI));
  const options = {
    issuer: process.env.FLOOR_ISSUER, audience: process.env.FLOOR_AUDIENCE, algorithms: [process.env.FLOOR_ALG],
    typ: 'at+jwt', clockTolerance: CLOCK_TOLERANCE_S, requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'client_id', 'roles'],
  };
  const unauthorized = JSON.stringify({ statusCode: 401, error: 'invalid_token', message: 'Access token is invalid' });
  const server = http.createServer(async (req, res) => {
    const match = req.url === '/api/hello' && /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    try {
      if (!match) throw new Error('no token');
      const { payload } = await jwtVerify(match[1], jwks, options);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    } catch {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' }).end(unauthorized);
    }
  });
  server.listen(0, '127.0.0.1', () => console.log(`floor listening on http://127.0.0.1:${server.address().port}`));
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

if (process.argv.includes('--floor')) {
  await floor();
} else {
  try {
    await main();
  } finally {
    await cleanup();
  }
}
