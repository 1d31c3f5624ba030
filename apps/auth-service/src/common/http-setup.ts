import type { FastifyInstance } from 'fastify';
import { AppError } from './app-error';

/**
 * JSON only (SPEC §2): invalid JSON is 400 `invalid_json`, a body that is not an object is 400
 * `validation_failed`, proto-poisoning keys are refused, and an empty body reaches validation
 * (which then names the missing fields). Other media types are 415 through Fastify.
 */
export function registerBodyParsers(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  // Fastify also parses text/plain by default: JSON only here, anything else is 415.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, (error: Error | null, value?: unknown) => {
      if (error) done(new AppError('invalid_json', 'Request body is not valid JSON'), undefined);
      else if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        done(new AppError('validation_failed', 'Request body must be a JSON object'), undefined);
      } else done(null, value);
    });
  });
}

/** The only route that also takes RFC 7009's form encoding; everywhere else a form body is 415. */
const FORM_ROUTES = new Set(['/api/auth/revoke']);

export function registerFormParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    if (!FORM_ROUTES.has(request.routeOptions.url ?? '')) {
      done(new AppError('unsupported_media_type', 'Content-Type must be application/json'), undefined);
      return;
    }
    const entries = [...new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))];
    const names = entries.map(([name]) => name);
    if (new Set(names).size !== names.length) {
      // RFC 6749 §3.1: a parameter must not be included more than once.
      done(new AppError('validation_failed', 'Request validation failed', [{ field: names.find((n, i) => names.indexOf(n) !== i) ?? '', message: 'must not be repeated' }]), undefined);
      return;
    }
    // fromEntries defines own properties: a "__proto__" field is data (refused as unknown), never a prototype.
    done(null, Object.fromEntries(entries));
  });
}

/**
 * No API response may be cached unless its route says so (JWKS, discovery): every token-bearing
 * response carries `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
 */
export function registerResponseHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) {
      reply.header('cache-control', 'no-store');
      reply.header('pragma', 'no-cache');
    }
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
}
