import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { AccessTokenClaims, TokenVerificationError } from '@tessera/verifier';
import { AppError } from '../common/app-error';
import { SessionsService } from '../sessions/sessions.service';
import { AccessTokenVerifier } from './access-token.verifier';
import { BearerTokenStrategy } from './bearer.strategy';

export const ACCESS_TOKEN_STRATEGY = 'access-token';

/**
 * The service's own guard: the one verification core, then the revoked-session cache, so that a
 * token of a revoked session is refused at once on every instance (SPEC §3), without a database query.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(BearerTokenStrategy, ACCESS_TOKEN_STRATEGY) {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly sessions: SessionsService,
  ) {
    super();
  }

  async validate(token: string): Promise<AccessTokenClaims> {
    let claims: AccessTokenClaims;
    try {
      claims = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof TokenVerificationError) throw AppError.unauthorized(error.message, true);
      throw error;
    }
    if (await this.sessions.isRevoked(claims.sid)) throw AppError.unauthorized('Session revoked', true);
    return claims;
  }
}
