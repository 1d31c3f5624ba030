import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthorizationServerMetadataDto } from '../keys/keys-response.dto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { authorizationServerMetadata } from './metadata';

/** As long as the JWKS's: the metadata only changes with the configuration. */
const METADATA_CACHE = 'public, max-age=300';

/** The same document at both paths; any page may read it (`Access-Control-Allow-Origin: *`, common/cors.ts). */
@ApiTags('discovery')
@Controller('.well-known')
export class MetadataController {
  private readonly metadata: ReturnType<typeof authorizationServerMetadata>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.metadata = authorizationServerMetadata(config.tokens.issuer);
  }

  /** RFC 8414 (oauth4webapi's `oauth2` discovery). */
  @ApiOkResponse({ type: AuthorizationServerMetadataDto })
  @Get('oauth-authorization-server')
  @Header('Cache-Control', METADATA_CACHE)
  oauthAuthorizationServer() {
    return this.metadata;
  }

  /** OpenID Connect Discovery: the path most verifiers look for `jwks_uri` under. */
  @ApiOkResponse({ type: AuthorizationServerMetadataDto })
  @Get('openid-configuration')
  @Header('Cache-Control', METADATA_CACHE)
  openidConfiguration() {
    return this.metadata;
  }
}
