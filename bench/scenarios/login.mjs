// Login: POST /api/auth/login round robin over seeded users (all with the same password, hashed at
// the service's argon2 defaults), on Tessera and on bench/floors/login.mjs.
import { join } from 'node:path';
import { measure, ROOT, withServer } from '../harness.mjs';
import { PASSWORD, seededEmail } from '../seed.mjs';

export const USERS = 1000; // users per measurement: no two of the 16 connections wait on one user's row lock

function options(port, slots) {
  const bodies = slots.map((g) => JSON.stringify({ email: seededEmail(g), password: PASSWORD }));
  let next = 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: [{ method: 'POST', path: '/api/auth/login', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
  };
}

export const service = (ctx, tessera) => measure(tessera.child.pid, options(tessera.port, ctx.slots(USERS)), 200);

export const floor = (ctx) =>
  withServer('login floor', [join(ROOT, 'bench/floors/login.mjs')], { DATABASE_URL: ctx.databaseUrl }, ({ child, port }) => measure(child.pid, options(port, ctx.slots(USERS)), 200));
