/** The claims of an access token the client needs (SPEC §3); read, never verified: the server verifies. */
export interface AccessTokenClaims {
  sub?: string;
  sid?: string;
  exp?: number;
  iat?: number;
  roles?: string[];
}

function base64UrlDecode(part: string): string {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The payload of a JWT, or null for anything that is not one (an opaque or damaged token). */
export function readClaims(token: string): AccessTokenClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload: unknown = JSON.parse(base64UrlDecode(parts[1]));
    return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as AccessTokenClaims) : null;
  } catch {
    return null;
  }
}
