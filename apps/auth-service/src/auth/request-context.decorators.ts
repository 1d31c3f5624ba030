import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AccessTokenClaims } from '@tessera/verifier';
import type { FastifyRequest } from 'fastify';
import type { ClientContext } from '../sessions/sessions.service';

/** The verified access-token claims of the request (set by AccessTokenGuard). */
export const Claims = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AccessTokenClaims => ctx.switchToHttp().getRequest<{ user: AccessTokenClaims }>().user,
);

/** The client's address (X-Forwarded-For only through TRUST_PROXY) and user agent. */
export const Client = createParamDecorator((_: unknown, ctx: ExecutionContext): ClientContext => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null };
});
