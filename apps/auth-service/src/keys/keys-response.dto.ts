import { ApiProperty } from '@nestjs/swagger';

export class JwksDto {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'public JWKs (RFC 7517)' })
  keys: object[];
}

/** RFC 8414 / OpenID Connect Discovery metadata: only what the service serves. */
export class AuthorizationServerMetadataDto {
  @ApiProperty() issuer: string;
  @ApiProperty() jwks_uri: string;
  @ApiProperty({ description: 'POST /oauth/token' }) token_endpoint: string;
  @ApiProperty({ type: [String], example: ['refresh_token'] }) grant_types_supported: string[];
  @ApiProperty({ type: [String], example: ['none'] }) token_endpoint_auth_methods_supported: string[];
  @ApiProperty({ description: 'POST /api/auth/revoke (RFC 7009)' }) revocation_endpoint: string;
  @ApiProperty({ type: [String], example: ['none'] }) revocation_endpoint_auth_methods_supported: string[];
}
