import type { FastifyCorsOptions, FastifyCorsOptionsDelegateCallback } from '@fastify/cors';

/**
 * The JWKS and the metadata documents are public (SPEC §1 `CORS_ORIGINS`): any page may read them,
 * without credentials, as every verifier and OAuth library in a browser needs.
 */
const PUBLIC_PATHS = new Set(['/.well-known/jwks.json', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']);

const API_CORS: Omit<FastifyCorsOptions, 'origin'> = {
  // Cookie mode (SPEC §2) needs credentialed requests; only listed origins ever get them.
  credentials: true,
  methods: ['GET', 'POST', 'PUT', 'DELETE'],
  allowedHeaders: ['Authorization', 'Content-Type', 'X-Token-Transport', 'X-Request-Id'],
  // A client backs off by Retry-After after 429 and 503, and quotes X-Request-Id when it reports a problem.
  exposedHeaders: ['Retry-After', 'X-Request-Id'],
  maxAge: 600,
};

/**
 * The per-request CORS policy for `@fastify/cors`: `*` on the public documents, the caller's origin
 * with credentials when it is one of CORS_ORIGINS, and nothing otherwise (the browser then refuses
 * the answer, and the preflight of a non-simple request fails). Origins are compared exactly, as
 * browsers send them (scheme, host and port, no trailing slash). Every answer varies on Origin.
 */
export function corsPolicy(corsOrigins: readonly string[]): FastifyCorsOptionsDelegateCallback {
  const allowed = new Set(corsOrigins.map((origin) => new URL(origin).origin));
  return (request, callback) => {
    const path = (request.raw.url ?? '').split('?')[0];
    if (PUBLIC_PATHS.has(path)) {
      callback(null, { origin: '*', methods: ['GET'], maxAge: 600 });
      return;
    }
    const origin = request.headers.origin;
    callback(null, typeof origin === 'string' && allowed.has(origin) ? { ...API_CORS, origin } : { origin: false });
  };
}
