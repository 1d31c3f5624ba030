import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../common/app-error';
import type { AppConfig } from '../config/app-config';
import type { TokenResponseDto } from './dto/token-response.dto';
import { originPermitted, refreshCookieRules, RefreshCookieRules, TOKEN_TRANSPORT_HEADER, transportOf } from './refresh-cookie';

/** What a route does with the cookie: login issues it, refresh reads and replaces it, logout reads and clears it. */
type CookieRole = 'issue' | 'rotate' | 'end';

/** The route's Fastify config member that names its role (`request.routeOptions.config`). */
interface CookieRouteConfig {
  cookieTransport?: CookieRole;
}

/** Lets the route answer in browser cookie mode (SPEC §2) when the client sends `X-Token-Transport: cookie`. */
export const CookieTransport = (role: CookieRole) => RouteConfig({ cookieTransport: role } satisfies CookieRouteConfig);

/** A token response without the refresh token, which in cookie mode travels only in the cookie. */
export type CookieModeTokenResponse = Omit<TokenResponseDto, 'refresh_token'>;

/** On a request that asked for cookie mode and passed its checks: its route's role. */
const COOKIE_MODE = Symbol('tessera.cookie-mode');
type CookieModeRequest = FastifyRequest & { [COOKIE_MODE]?: CookieRole };

const roleOf = (request: FastifyRequest): CookieRole | undefined => (request.routeOptions.config as CookieRouteConfig | undefined)?.cookieTransport;

/**
 * Cookie mode around the same handlers (one code path with the body transport), as three Fastify
 * hooks on the routes that carry `@CookieTransport`: before validation, the cookie's token becomes
 * the body's `refresh_token`; before serialization, the refresh token moves from the answer into the
 * cookie (or a refused grant clears it); once a logout succeeded, the cookie is cleared. Without the
 * header nothing changes, and the cookie is not even read, so a cross-site request that the browser
 * sends with the cookie but without the custom header (a form, an image) is refused by validation.
 *
 * Hooks rather than a Nest interceptor: an interceptor wraps every call of its routes in RxJS
 * observables, cookie mode or not (about 0.08 ms of CPU per refresh, measured, A/B). Register it
 * before `@fastify/cookie`, whose `onSend` hook writes the cookies set here.
 */
export function registerCookieTransport(fastify: FastifyInstance, config: AppConfig): void {
  const rules = refreshCookieRules(config.tokens.issuer, config.http.corsOrigins);

  fastify.addHook('preValidation', (request, _reply, done) => {
    const role = roleOf(request);
    if (!role) return done();
    const transport = transportOf(request.headers[TOKEN_TRANSPORT_HEADER]);
    if (!transport.ok) return done(new AppError('validation_failed', 'Request validation failed', [{ field: 'X-Token-Transport', message: transport.message }]));
    if (!transport.cookie) return done();
    if (!originPermitted(request.headers.origin, rules, `${request.protocol}://${request.host}`)) {
      return done(new AppError('forbidden', 'This origin may not use the refresh cookie: it is neither the issuer, nor one of CORS_ORIGINS, nor this service itself'));
    }
    if (role !== 'issue') {
      const refused = moveCookieIntoBody(request, rules);
      if (refused) return done(refused);
    }
    (request as CookieModeRequest)[COOKIE_MODE] = role;
    done();
  });

  fastify.addHook('preSerialization', (request: CookieModeRequest, reply, payload, done) => {
    const role = request[COOKIE_MODE];
    if (!role || role === 'end') return done(null, payload);
    if (reply.statusCode < 300) {
      const { refresh_token: token, ...rest } = payload as TokenResponseDto;
      reply.setCookie(rules.name, token, { ...rules.attributes, maxAge: rest.refresh_expires_in });
      return done(null, rest satisfies CookieModeTokenResponse);
    }
    // A refused grant means the cookie's token can never work again; a 429 or 5xx does not (the client retries).
    if (role === 'rotate' && (payload as { error?: unknown } | null)?.error === 'invalid_grant') clear(reply, rules);
    done(null, payload);
  });

  // A logout answers 204 with no body, which skips preSerialization.
  fastify.addHook('onSend', (request: CookieModeRequest, reply, payload, done) => {
    if (request[COOKIE_MODE] === 'end' && reply.statusCode < 300) clear(reply, rules);
    done(null, payload);
  });
}

/** The token is read from the cookie only; one in the body as well would be a client mixing the two transports. */
function moveCookieIntoBody(request: FastifyRequest, rules: RefreshCookieRules): AppError | undefined {
  const body = (request.body ?? {}) as Record<string, unknown>;
  if ('refresh_token' in body) {
    return new AppError('validation_failed', 'Request validation failed', [
      { field: 'refresh_token', message: 'refresh_token must not be sent in cookie mode: it travels in the cookie' },
    ]);
  }
  const cookies = request.server.parseCookie(request.headers.cookie ?? '');
  // No cookie: an empty token, which is simply unknown (refresh: 401 invalid_grant; logout: 204).
  request.body = { ...body, refresh_token: cookies[rules.name] ?? '' };
  return undefined;
}

function clear(reply: FastifyReply, rules: RefreshCookieRules): void {
  reply.clearCookie(rules.name, rules.attributes);
}
