import { ApiProperty } from '@nestjs/swagger';

export class JwksDto {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'public JWKs (RFC 7517)' })
  keys: object[];
}

/** OpenID Connect Discovery / RFC 8414 metadata. */
export class DiscoveryDto {
  @ApiProperty() issuer: string;
  @ApiProperty() jwks_uri: string;
  @ApiProperty() token_endpoint: string;
  @ApiProperty() revocation_endpoint: string;
  @ApiProperty({ type: [String] }) grant_types_supported: string[];
  @ApiProperty({ type: [String] }) response_types_supported: string[];
  @ApiProperty({ type: [String] }) subject_types_supported: string[];
  @ApiProperty({ type: [String] }) token_endpoint_auth_methods_supported: string[];
  @ApiProperty({ type: [String] }) revocation_endpoint_auth_methods_supported: string[];
  @ApiProperty({ type: [String] }) id_token_signing_alg_values_supported: string[];
}
