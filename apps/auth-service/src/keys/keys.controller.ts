import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DiscoveryDto, JwksDto } from './keys-response.dto';
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { KeyStore } from './key-store.service';

/**
 * JWKS max-age: caches must learn a `next` key before it signs, so this stays shorter than the
 * `next` lead time of key rotation (SPEC §7).
 */
export const JWKS_MAX_AGE_SECONDS = 300;

@ApiTags('discovery')
@Controller('.well-known')
export class KeysController {
  constructor(
    private readonly keys: KeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @ApiOkResponse({ type: JwksDto })
  @Get('jwks.json')
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  jwks() {
    return this.keys.jwks();
  }

  /** OpenID Connect Discovery / RFC 8414. Every URL comes from JWT_ISSUER, never from the request's Host. */
  @ApiOkResponse({ type: DiscoveryDto })
  @Get('openid-configuration')
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  discovery() {
    const issuer = this.config.tokens.issuer;
    const base = issuer.replace(/\/+$/, '');
    return {
      issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      token_endpoint: `${base}/api/auth/refresh`,
      revocation_endpoint: `${base}/api/auth/revoke`,
      grant_types_supported: ['password', 'refresh_token'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      id_token_signing_alg_values_supported: [this.config.tokens.algorithm],
    };
  }
}
