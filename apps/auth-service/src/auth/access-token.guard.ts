import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AccessTokenClaims, TokenVerificationError } from '@tessera/verifier';
import { bearerTokenOf } from '@tessera/verifier/nest';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../common/app-error';
import { AccessTokenVerifier } from './access-token.verifier';

/**
 * The service's own bearer guard: the header rule of @tessera/verifier (one Authorization header,
 * exactly "Bearer" 1*SP b64token), then the one verification (revoked sessions included); the claims
 * go to `request.user`, where `@Claims()` and the roles guard of @tessera/verifier/nest read them.
 * A missing token is 401 `unauthorized` with `WWW-Authenticate: Bearer`; a bad one adds `error="invalid_token"`.
 * (No Passport: a strategy object, a promise and a callback chain per request for the same result.)
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(private readonly verifier: AccessTokenVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AccessTokenClaims }>();
    const token = bearerTokenOf(request);
    if (token === null) throw AppError.unauthorized('Authentication required');
    try {
      request.user = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof AppError) throw error;
      // A bad token says why (a stable reason); anything else is not explained to the caller.
      throw AppError.unauthorized(error instanceof TokenVerificationError ? error.message : 'Invalid access token', true);
    }
    return true;
  }
}
