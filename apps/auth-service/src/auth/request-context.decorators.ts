import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AccessTokenClaims } from '@tessera/verifier';
import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import type { Actor, RequestContext } from '../common/request-context';

/** The request's id, client address (X-Forwarded-For only through TRUST_PROXY) and user agent. */
export const Client = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestContext => requestContextOf(ctx.switchToHttp().getRequest<FastifyRequest>()));

/** The authenticated caller (the access token's subject) and the request: for admin actions. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest & { user: AccessTokenClaims }>();
  return { id: request.user.sub, context: requestContextOf(request) };
});

/** Also for guards that run before the handler (abuse/rate-limit.guard.ts). */
export function requestContextOf(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  // With TRUST_PROXY the address comes from X-Forwarded-For as sent: only an IP address is recorded.
  const ip = request.ip && isIP(request.ip) ? request.ip.toLowerCase() : null;
  return { requestId: String(request.id), ip, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null };
}

