import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { AccessTokenClaims, TokenVerificationError, verifyAccessToken } from '@tessera/verifier';
import { AppError } from '../common/app-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { KeysService } from '../keys/keys.service';
import { BearerTokenStrategy } from './bearer.strategy';

export const ACCESS_TOKEN_STRATEGY = 'access-token';

/** The service's own guard: the one verification core with the service's own keys. */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(BearerTokenStrategy, ACCESS_TOKEN_STRATEGY) {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeysService,
  ) {
    super();
  }

  async validate(token: string): Promise<AccessTokenClaims> {
    const { issuer, audience, algorithm, clockTolerance } = this.config.tokens;
    try {
      return await verifyAccessToken(token, this.keys.resolveVerificationKey, {
        issuer,
        audience: audience[0],
        algorithms: [algorithm],
        clockTolerance,
      });
    } catch (error) {
      if (error instanceof TokenVerificationError) throw AppError.unauthorized(error.message, true);
      throw error;
    }
  }
}
