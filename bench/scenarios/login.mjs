// Login: POST /api/auth/login round robin over seeded users (all with the same password, hashed at
// the service's argon2 defaults), on Tessera and on bench/floors/login.mjs. Each function gives a
// contender of the group bench/run.mjs measures in turn (harness.mjs, measureGroup).
import { join } from 'node:path';
import { ROOT, startContender } from '../harness.mjs';
import { PASSWORD, seededEmail } from '../seed.mjs';

// Users logged in round robin: no two of the 16 connections wait on one user's row lock. The same
// users for every login contender, so that the seeded users and refresh tokens left last the
// refresh contenders (run.mjs). Each login adds a session that the user's next login reads (the
// 100-session cap): about three per user per run, a few rows more by the third run, for both sizes.
export const USERS = 1000;

function load(port, slots) {
  const bodies = slots.map((g) => JSON.stringify({ email: seededEmail(g), password: PASSWORD }));
  let next = 0;
  return {
    options: {
      url: `http://127.0.0.1:${port}`,
      requests: [{ method: 'POST', path: '/api/auth/login', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
    },
    expected: 200,
  };
}

export const service = async (ctx, tessera) => ({ pid: tessera.child.pid, ...load(tessera.port, ctx.loginUsers) });

export const floor = (ctx) => startContender(`login floor [${ctx.size}]`, [join(ROOT, 'bench/floors/login.mjs')], { DATABASE_URL: ctx.databaseUrl }, ({ port }) => load(port, ctx.loginUsers));
