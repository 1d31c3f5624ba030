import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { KeysService } from '../keys/keys.service';

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
