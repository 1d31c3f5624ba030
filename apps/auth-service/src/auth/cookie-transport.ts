import { applyDecorators, CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, SetMetadata, UseInterceptors } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, map, Observable, throwError } from 'rxjs';
import { AppError } from '../common/app-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { TokenResponseDto } from './dto/token-response.dto';
import { originPermitted, refreshCookieRules, RefreshCookieRules, TOKEN_TRANSPORT_HEADER, transportOf } from './refresh-cookie';

/** What a route does with the cookie: login issues it, refresh reads and replaces it, logout reads and clears it. */
type CookieRole = 'issue' | 'rotate' | 'end';
const COOKIE_ROLE = 'tessera:cookie-role';

/** Lets the route answer in browser cookie mode (SPEC §2) when the client sends `X-Token-Transport: cookie`. */
export const CookieTransport = (role: CookieRole) => applyDecorators(SetMetadata(COOKIE_ROLE, role), UseInterceptors(CookieTransportInterceptor));

/** A token response without the refresh token, which in cookie mode travels only in the cookie. */
export type CookieModeTokenResponse = Omit<TokenResponseDto, 'refresh_token'>;

/**
 * Cookie mode wraps the same handlers (one code path with the body transport): before the handler,
 * the cookie's token becomes the body's `refresh_token`; after it, the refresh token moves from the
 * body into the cookie. Without the header nothing changes, and the cookie is not even read, so a
 * cross-site request that the browser sends with the cookie but without the custom header (a form,
 * an image) is refused by validation.
 */
@Injectable()
export class CookieTransportInterceptor implements NestInterceptor {
  private readonly rules: RefreshCookieRules;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.rules = refreshCookieRules(config.tokens.issuer, config.http.corsOrigins);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const transport = transportOf(request.headers[TOKEN_TRANSPORT_HEADER]);
    if (!transport.ok) throw new AppError('validation_failed', 'Request validation failed', [{ field: 'X-Token-Transport', message: transport.message }]);
    if (!transport.cookie) return next.handle();

    const role = this.reflector.get<CookieRole>(COOKIE_ROLE, context.getHandler());
    if (!originPermitted(request.headers.origin, this.rules, `${request.protocol}://${request.host}`)) {
      throw new AppError('forbidden', 'This origin may not use the refresh cookie: it is neither the issuer, nor one of CORS_ORIGINS, nor this service itself');
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    if (role !== 'issue') this.moveCookieIntoBody(request);

    return next.handle().pipe(
      map((result: unknown) => {
        if (role === 'end') {
          this.clear(reply);
          return result;
        }
        const { refresh_token: token, ...rest } = result as TokenResponseDto;
        reply.setCookie(this.rules.name, token, { ...this.rules.attributes, maxAge: rest.refresh_expires_in });
        return rest satisfies CookieModeTokenResponse;
      }),
      catchError((error: unknown) => {
        // A refused grant means the cookie's token can never work again; a 429 or 5xx does not (the client retries).
        if (role === 'rotate' && error instanceof AppError && error.code === 'invalid_grant') this.clear(reply);
        return throwError(() => error);
      }),
    );
  }

  /** The token is read from the cookie only; one in the body as well would be a client mixing the two transports. */
  private moveCookieIntoBody(request: FastifyRequest): void {
    const body = (request.body ?? {}) as Record<string, unknown>;
    if ('refresh_token' in body) {
      throw new AppError('validation_failed', 'Request validation failed', [
        { field: 'refresh_token', message: 'refresh_token must not be sent in cookie mode: it travels in the cookie' },
      ]);
    }
    const cookies = request.server.parseCookie(request.headers.cookie ?? '');
    // No cookie: an empty token, which is simply unknown (refresh: 401 invalid_grant; logout: 204).
    request.body = { ...body, refresh_token: cookies[this.rules.name] ?? '' };
  }

  private clear(reply: FastifyReply): void {
    reply.clearCookie(this.rules.name, this.rules.attributes);
  }
}
