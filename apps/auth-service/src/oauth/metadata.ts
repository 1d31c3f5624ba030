/**
 * RFC 8414 / OpenID Connect Discovery metadata (SPEC §2), and nothing the service does not serve:
 * no password grant, no authorization endpoint (so no response_types_supported, which RFC 8414
 * calls required but openid-client and oauth4webapi do not need), no ID tokens. Every URL comes
 * from JWT_ISSUER, never from the request's Host.
 */
export function authorizationServerMetadata(issuer: string) {
  const base = issuer.replace(/\/+$/, '');
  return {
    issuer,
    jwks_uri: `${base}/.well-known/jwks.json`,
    token_endpoint: `${base}/oauth/token`,
    grant_types_supported: ['refresh_token'],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint: `${base}/api/auth/revoke`,
    revocation_endpoint_auth_methods_supported: ['none'],
  };
}
