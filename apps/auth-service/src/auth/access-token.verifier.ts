import { Inject, Injectable } from '@nestjs/common';
import { AccessTokenClaims, verifyAccessToken } from '@tessera/verifier';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { KeyStore } from '../keys/key-store.service';
import { SessionsService } from '../sessions/sessions.service';

/**
 * The shared verification core (libs/verifier) with this service's own keys, configuration and
 * revoked-session cache, where a resource service has the JWKS and the revocation feed.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeyStore,
    private readonly sessions: SessionsService,
  ) {}

  /** Throws TokenVerificationError for any token that breaks a rule of SPEC §3, or whose session was revoked. */
  verify(token: string): Promise<AccessTokenClaims> {
    const { issuer, audience, clockTolerance } = this.config.tokens;
    return verifyAccessToken(token, this.keys.resolveVerificationKey, {
      issuer,
      audience: audience[0],
      algorithms: this.keys.verificationAlgorithms(),
      clockTolerance,
      // The revoked-session cache (SPEC §3): refused at once on every instance, without a database query.
      isRevoked: (sid) => this.sessions.isRevoked(sid),
      // libuv's pool runs the argon2 hashes, tens of milliseconds each: a signature check queued
      // behind them would hold every authenticated request during a burst of logins.
      signatureCheck: 'inline',
    });
  }
}
