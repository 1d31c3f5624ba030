// The embedded database (no DATABASE_URL, a new DATA_DIR): the cold start (spawn → /health/ready
// 200, initdb and migrations included), then login, refresh and /me under load with the process's
// RSS sampled (PGlite runs inside it), then a restart on the same DATA_DIR.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH_ARGS, expectCall, measure, QUICK, startReady, stop, tokenPool } from '../harness.mjs';
import { PASSWORD } from '../seed.mjs';
import { tesseraEnv } from './tessera.mjs';

const USERS = QUICK ? 8 : 32;
// Sessions per user: the refresh pool must outlast what autocannon drops (the requests in flight
// when it stops and those built to be sent next: up to 2 × 16 per measurement).
const LOGINS = 8;

export async function run() {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-embedded-'));
  const env = tesseraEnv(undefined, { DATA_DIR: dataDir });
  try {
    const cold = await startReady('embedded (new DATA_DIR)', [...AUTH_ARGS], env);
    const result = { coldStartMs: cold.coldStartMs, measurements: {} };
    try {
      const { port, child } = cold;
      const users = [];
      for (let i = 0; i < USERS; i++) {
        const credentials = { email: `embedded${i}@bench.example.com`, password: PASSWORD };
        await expectCall(201, port, 'POST', '/api/auth/register', credentials);
        const logins = await Promise.all(Array.from({ length: LOGINS }, () => expectCall(200, port, 'POST', '/api/auth/login', credentials)));
        users.push({ body: JSON.stringify(credentials), access_token: logins[0].access_token, refreshTokens: logins.map((l) => l.refresh_token) });
      }
      let next = 0;
      const url = `http://127.0.0.1:${port}`;
      const json = { 'content-type': 'application/json' };
      result.measurements.login = await measure(child.pid, { url, requests: [{ method: 'POST', path: '/api/auth/login', headers: json, setupRequest: (req) => ({ ...req, body: users[next++ % USERS].body }) }] }, 200);
      const pool = tokenPool(users.flatMap((u) => u.refreshTokens));
      result.measurements.refresh = await measure(child.pid, { url, requests: [pool.request({ path: '/api/auth/refresh', headers: json, body: (token) => JSON.stringify({ refresh_token: token }) })] }, 200);
      result.measurements.me = await measure(child.pid, { url: `${url}/api/auth/me`, headers: { authorization: `Bearer ${users[0].access_token}` } }, 200);
    } finally {
      await stop(cold.child);
    }
    const warm = await startReady('embedded (restart)', [...AUTH_ARGS], env);
    result.restartMs = warm.coldStartMs;
    await stop(warm.child);
    result.rssMiB = Math.max(...Object.values(result.measurements).map((m) => m.rssMiB));
    return result;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
