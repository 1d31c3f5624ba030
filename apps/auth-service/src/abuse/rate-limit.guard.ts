import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { requestContextOf } from '../auth/request-context.decorators';
import { RateLimitKind, RateLimits } from './rate-limits.service';

const RATE_LIMIT = 'tessera:rate-limit';

/**
 * Puts a route under a per-client rate limit (SPEC §6): `@RateLimit('refresh')` on a handler is all
 * a route needs (the guard is global, registered by AbuseModule). It runs before validation, so
 * malformed requests count too.
 */
export const RateLimit = (kind: RateLimitKind) => SetMetadata(RATE_LIMIT, kind);

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const kind = this.reflector.get<RateLimitKind | undefined>(RATE_LIMIT, context.getHandler());
    if (kind) await this.limits.consume(kind, requestContextOf(context.switchToHttp().getRequest<FastifyRequest>()));
    return true;
  }
}
