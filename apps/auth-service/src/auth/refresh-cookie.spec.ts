import { originPermitted, refreshCookieRules, transportOf } from './refresh-cookie';

describe('refresh cookie rules (SPEC §2 browser cookie mode)', () => {
  it('names and marks the cookie by the issuer scheme', () => {
    expect(refreshCookieRules('http://localhost:3000', [])).toMatchObject({
      name: 'tessera_refresh',
      attributes: { path: '/api/auth', httpOnly: true, sameSite: 'strict', secure: false },
    });
    expect(refreshCookieRules('https://auth.example.com/', [])).toMatchObject({ name: '__Secure-tessera_refresh', attributes: { secure: true } });
  });

  it('permits no Origin, the issuer origin and CORS_ORIGINS, compared as browsers send them', () => {
    const rules = refreshCookieRules('https://Auth.Example.com:443/base', ['https://App.Example.com', 'http://localhost:5173']);
    for (const origin of [undefined, 'https://auth.example.com', 'https://app.example.com', 'http://localhost:5173']) expect(originPermitted(origin, rules)).toBe(true);
    for (const origin of ['null', '', 'https://evil.example.com', 'http://auth.example.com', 'https://auth.example.com:8443', 'http://localhost:5174', ['https://app.example.com']]) {
      expect(originPermitted(origin, rules)).toBe(false);
    }
  });

  it('permits a page of the origin the request was sent to, and only that one', () => {
    const rules = refreshCookieRules('http://localhost:3000', []);
    expect(originPermitted('http://127.0.0.1:3000', rules, 'http://127.0.0.1:3000')).toBe(true);
    expect(originPermitted('http://127.0.0.1:3000', rules, 'http://127.0.0.1:3001')).toBe(false);
    expect(originPermitted('https://127.0.0.1:3000', rules, 'http://127.0.0.1:3000')).toBe(false);
    expect(originPermitted('http://evil.test', rules, 'http://127.0.0.1:3000')).toBe(false);
  });

  it('reads the transport header: absent is the body, "cookie" is the cookie, anything else is refused', () => {
    expect(transportOf(undefined)).toEqual({ ok: true, cookie: false });
    expect(transportOf(' Cookie ')).toEqual({ ok: true, cookie: true });
    for (const odd of ['', 'body', 'cookies', ['cookie', 'cookie']]) expect(transportOf(odd).ok).toBe(false);
  });
});
