/**
 * Browser cookie mode (SPEC §2): where the refresh token travels when a client sends
 * `X-Token-Transport: cookie`, and which pages may use it. Pure, so that the rules have a spec.
 */
export const TOKEN_TRANSPORT_HEADER = 'x-token-transport';

export interface RefreshCookieRules {
  /** `__Secure-tessera_refresh` on an https issuer (browsers then insist on `Secure`), else `tessera_refresh`. */
  name: string;
  /** What every Set-Cookie of it carries; `Max-Age` is added per answer. */
  attributes: { path: string; httpOnly: true; sameSite: 'strict'; secure: boolean };
  /** Origins whose pages may refresh and log out through the cookie: the issuer's and CORS_ORIGINS. */
  allowedOrigins: ReadonlySet<string>;
}

export function refreshCookieRules(issuer: string, corsOrigins: readonly string[]): RefreshCookieRules {
  const issuerUrl = new URL(issuer);
  const secure = issuerUrl.protocol === 'https:';
  return {
    name: secure ? '__Secure-tessera_refresh' : 'tessera_refresh',
    // Scripts cannot read it (HttpOnly: an XSS cannot carry it away); no other site's request carries
    // it (Strict); only the auth endpoints that read it receive it (Path).
    attributes: { path: '/api/auth', httpOnly: true, sameSite: 'strict', secure },
    // Normalised as browsers send Origin: lower-case scheme and host, no default port, no slash.
    allowedOrigins: new Set([issuerUrl.origin, ...corsOrigins.map((origin) => new URL(origin).origin)]),
  };
}

export type TransportChoice = { ok: true; cookie: boolean } | { ok: false; message: string };

/** The header is optional; when present it must say `cookie` (the only other transport is the body, the default). */
export function transportOf(header: string | string[] | undefined): TransportChoice {
  if (header === undefined) return { ok: true, cookie: false };
  if (typeof header === 'string' && header.trim().toLowerCase() === 'cookie') return { ok: true, cookie: true };
  return { ok: false, message: 'X-Token-Transport must be "cookie" when present' };
}

/**
 * A request without Origin is not a browser's and is accepted (the cookie is not a credential a
 * non-browser client holds by accident); a browser's must come from an allowed page: the issuer's,
 * one of CORS_ORIGINS, or a page of the very origin the request was sent to (`ownOrigin`, from the
 * scheme and Host of the request: a page this service served, such as the admin console opened at
 * http://127.0.0.1:3000 while JWT_ISSUER says localhost). A browser never lets a page of another
 * site send a Host that names this service together with an Origin that names it too, so this
 * admits same-origin pages only. `null` (sandboxed frames, file: pages) is never allowed.
 */
export function originPermitted(origin: string | string[] | undefined, rules: RefreshCookieRules, ownOrigin?: string): boolean {
  if (origin === undefined) return true;
  if (typeof origin !== 'string') return false;
  return rules.allowedOrigins.has(origin) || (ownOrigin !== undefined && origin === ownOrigin.toLowerCase());
}
