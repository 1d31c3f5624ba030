// Bound of the refresh scenario on node:http: the work of one-statement.mjs and nothing else (no
// log line, headers, CORS, metrics or guards). Not a floor with a target: it shows what the job
// itself costs on this machine, next to Tessera, the floor and the peer.
// Run as a child: DATABASE_URL=postgres://… node bench/bounds/refresh-http.mjs
import { randomUUID } from 'node:crypto';
import { parseJson, serve } from '../floors/common.mjs';
import { oneStatementRefresh } from './one-statement.mjs';

const refresh = oneStatementRefresh(process.env.DATABASE_URL, 'http');

serve('refresh bound (node:http)', async (req, body) => {
  if (req.method !== 'POST' || req.url !== '/api/auth/refresh') return [404, { error: 'not_found' }];
  const presented = parseJson(body)?.refresh_token;
  if (typeof presented !== 'string') return [400, { error: 'validation_failed' }];
  const client = { ip: req.socket.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null, requestId: randomUUID() };
  const answer = await refresh.rotate(presented, client);
  return answer ? [200, answer] : [401, { error: 'invalid_grant' }];
}, () => refresh.end());
