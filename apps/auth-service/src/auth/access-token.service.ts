import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { KeysService } from '../keys/keys.service';
import { IssuedRefreshToken } from '../sessions/sessions.service';
import { PublicUser } from '../users/user.entity';
import { publicView } from '../users/users.service';
import { TokenResponseDto } from './dto/token-response.dto';

export interface TokenSubject {
  id: string;
  roles: string[];
}

/** Signs access tokens exactly as SPEC §3: typ at+jwt (RFC 9068), the active key's kid, nothing secret. */
@Injectable()
export class AccessTokenService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeysService,
  ) {}

  /** The token response of RFC 6749 §5.1 for a user and the refresh token just issued. */
  async tokenResponse(user: PublicUser, issued: IssuedRefreshToken): Promise<TokenResponseDto> {
    return {
      access_token: await this.sign(user, issued.sessionId),
      token_type: 'Bearer',
      expires_in: this.config.tokens.accessTtl,
      refresh_token: issued.refreshToken,
      refresh_expires_in: issued.refreshExpiresIn,
      user: publicView(user),
    };
  }

  async sign(subject: TokenSubject, sessionId: string): Promise<string> {
    const { issuer, audience, accessTtl, clientId } = this.config.tokens;
    const { kid, alg, key } = this.keys.activeKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sid: sessionId, client_id: clientId, roles: subject.roles })
      .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setSubject(subject.id)
      .setAudience(audience.length === 1 ? audience[0] : [...audience])
      .setIssuedAt(now)
      .setExpirationTime(now + accessTtl)
      .setJti(randomUUID())
      .sign(key);
  }
}
