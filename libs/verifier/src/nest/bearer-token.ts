/** RFC 6750 §2.1: "Bearer" 1*SP b64token, and nothing after it. */
const BEARER_HEADER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

interface IncomingRequest {
  headers?: Record<string, string | string[] | undefined>;
  rawHeaders?: string[];
  raw?: { rawHeaders?: string[] };
}

/**
 * The bearer token of a Fastify or Express request, or null when there is none. Node keeps the
 * first of several Authorization headers: two are ambiguous, so they count as none.
 */
export function bearerTokenOf(request: IncomingRequest): string | null {
  const header = request.headers?.authorization;
  if (typeof header !== 'string') return null;
  const rawHeaders = request.raw?.rawHeaders ?? request.rawHeaders ?? [];
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].length === 13 && rawHeaders[i].toLowerCase() === 'authorization') count++;
  if (count > 1) return null;
  return BEARER_HEADER.exec(header)?.[1] ?? null;
}
