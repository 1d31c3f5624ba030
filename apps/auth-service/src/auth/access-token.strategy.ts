import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { AccessTokenClaims, TokenVerificationError } from '@tessera/verifier';
import { AppError } from '../common/app-error';
import { AccessTokenVerifier } from './access-token.verifier';
import { BearerTokenStrategy } from './bearer.strategy';

export const ACCESS_TOKEN_STRATEGY = 'access-token';

/**
 * The service's own guard, a Passport strategy that only extracts the bearer token and delegates to
 * the one verification (revoked sessions included); the roles guard comes from @tessera/verifier/nest.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(BearerTokenStrategy, ACCESS_TOKEN_STRATEGY) {
  constructor(private readonly verifier: AccessTokenVerifier) {
    super();
  }

  async validate(token: string): Promise<AccessTokenClaims> {
    try {
      return await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof TokenVerificationError) throw AppError.unauthorized(error.message, true);
      throw error;
    }
  }
}
