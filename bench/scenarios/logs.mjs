// The security-log page an admin reads: GET /api/admin/security-logs filtered by one event type
// over 7 days in the middle of the seeded period, a page of 50, with the bootstrap admin's token.
// A contender of the group bench/run.mjs measures in turn (harness.mjs, measureGroup).
import { expectCall } from '../harness.mjs';
import { EVENT_DAYS } from '../seed.mjs';
import { ADMIN } from './tessera.mjs';

export async function service(ctx, tessera) {
  const { access_token: token } = await expectCall(200, tessera.port, 'POST', '/api/auth/login', ADMIN);
  const day = 86_400_000;
  const middle = ctx.seededAt - (EVENT_DAYS / 2) * day;
  const query = new URLSearchParams({ event_type: 'login_failure', from: new Date(middle - 7 * day).toISOString(), to: new Date(middle).toISOString(), limit: '50' });
  const path = `/api/admin/security-logs?${query}`;
  const page = await expectCall(200, tessera.port, 'GET', path, undefined, { authorization: `Bearer ${token}` });
  if (page.items?.length !== 50) throw new Error(`log page: ${page.items?.length} items, not 50`);
  return { pid: tessera.child.pid, options: { url: `http://127.0.0.1:${tessera.port}${path}`, headers: { authorization: `Bearer ${token}` } }, expected: 200 };
}
