import { Inject, Injectable } from '@nestjs/common';
import { AccessTokenClaims, verifyAccessToken } from '@tessera/verifier';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { KeyStore } from '../keys/key-store.service';

/** The shared verification core (libs/verifier) with this service's own keys and configuration. */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeyStore,
  ) {}

  /** Throws TokenVerificationError for any token that breaks a rule of SPEC §3. */
  verify(token: string): Promise<AccessTokenClaims> {
    const { issuer, audience, clockTolerance } = this.config.tokens;
    return verifyAccessToken(token, this.keys.resolveVerificationKey, {
      issuer,
      audience: audience[0],
      algorithms: this.keys.verificationAlgorithms(),
      clockTolerance,
    });
  }
}
