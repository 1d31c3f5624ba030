import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Verifier } from '../create-verifier';
import { AccessTokenClaims, TokenVerificationError } from '../verify-token';
import { bearerTokenOf } from './bearer-token';
import { ROLES_KEY } from './decorators';
import { BearerChallengeException, missingRoles } from './http-errors';

/** The injection token of the module's Verifier. */
export const TESSERA_VERIFIER = 'TESSERA_VERIFIER';

type ClaimsRequest = { user?: AccessTokenClaims };

/** 403 unless the claims hold every role that `@Roles()` asks of the handler or its controller. */
function requireRoles(reflector: Reflector, context: ExecutionContext, claims: AccessTokenClaims): void {
  const required = reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
  if (required?.length && !required.every((role) => claims.roles.includes(role))) throw missingRoles(required);
}

/**
 * Bearer authentication through the module's Verifier: the claims go to `request.user` (read them
 * with `@Claims()`), then `@Roles()` is enforced. A missing token is 401 with `WWW-Authenticate:
 * Bearer`, a bad one 401 with `error="invalid_token"`; the body never says more than the reason's message.
 */
@Injectable()
export class TesseraAuthGuard implements CanActivate {
  constructor(
    @Inject(TESSERA_VERIFIER) private readonly verifier: Verifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<ClaimsRequest & Parameters<typeof bearerTokenOf>[0]>();
    const token = bearerTokenOf(request);
    if (token === null) throw new BearerChallengeException('Authentication required', false).applyTo(http.getResponse());
    let claims: AccessTokenClaims;
    try {
      claims = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof TokenVerificationError) throw new BearerChallengeException(error.message, true).applyTo(http.getResponse());
      throw error;
    }
    request.user = claims;
    requireRoles(this.reflector, context, claims);
    return true;
  }
}

/**
 * `@Roles()` alone, for an application that authenticates otherwise (a Passport strategy that
 * sets `request.user` to verified claims): use it after that guard.
 */
@Injectable()
export class TesseraRolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const claims = http.getRequest<ClaimsRequest>().user;
    if (!claims) throw new BearerChallengeException('Authentication required', false).applyTo(http.getResponse());
    requireRoles(this.reflector, context, claims);
    return true;
  }
}
