import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { signCompact, signCompactOnPool } from '../keys/jws';
import { KeyStore } from '../keys/key-store.service';
import { ThreadPool } from '../infra/thread-pool';
import { IssuedRefreshToken } from '../sessions/sessions.service';
import { PublicUser } from '../users/user.entity';
import { publicView } from '../users/users.service';
import { TokenResponseDto } from './dto/token-response.dto';

export interface TokenSubject {
  id: string;
  roles: string[];
}

/** Signs access tokens exactly as SPEC §3: typ at+jwt (RFC 9068), the active key's kid, nothing secret (keys/jws.ts). */
@Injectable()
export class AccessTokenService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeyStore,
    private readonly pool: ThreadPool,
  ) {}

  /** The token response of RFC 6749 §5.1 for a user and the refresh token just issued. */
  async tokenResponse(user: PublicUser, issued: IssuedRefreshToken): Promise<TokenResponseDto> {
    const { token, expiresIn } = await this.sign(user, issued.sessionId, issued.sessionEndsAt);
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: expiresIn,
      refresh_token: issued.refreshToken,
      refresh_expires_in: issued.refreshExpiresIn,
      user: publicView(user),
    };
  }

  /**
   * Lives ACCESS_TOKEN_TTL, but never past its session's absolute end. Signed on libuv's pool while
   * argon2 leaves a thread of it free (infra/thread-pool.ts), so that the main thread, the service's
   * limit under refresh load, does not spend its time on the RSA signature; else on the main thread.
   */
  async sign(subject: TokenSubject, sessionId: string, sessionEndsAt: Date): Promise<{ token: string; expiresIn: number }> {
    const { issuer, audience, accessTtl, clientId } = this.config.tokens;
    const { kid, alg, key } = this.keys.activeKey();
    const now = Math.floor(Date.now() / 1000);
    const exp = Math.max(now + 1, Math.min(now + accessTtl, Math.floor(sessionEndsAt.getTime() / 1000)));
    const claims = {
      sid: sessionId,
      client_id: clientId,
      roles: subject.roles,
      iss: issuer,
      sub: subject.id,
      aud: audience.length === 1 ? audience[0] : [...audience],
      iat: now,
      exp,
      jti: randomUUID(),
    };
    const header = { alg, kid, typ: 'at+jwt' };
    const token = this.pool.hasIdleThread() ? await signCompactOnPool(alg, key, header, claims) : signCompact(alg, key, header, claims);
    return { token, expiresIn: exp - now };
  }
}
