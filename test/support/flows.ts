import { call, JsonResponse, STRONG_PASSWORD, uniqueEmail } from './http';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  refresh_expires_in: number;
  user: { id: string; roles: string[] };
}

/** Registers a new user and signs in: the first session and its token pair. */
export async function newSession(url: string, prefix = 'user'): Promise<TokenPair & { email: string }> {
  const email = uniqueEmail(prefix);
  const registered = await call(url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${registered.text}`);
  return { email, ...(await login(url, email)) };
}

export async function login(url: string, email: string, userAgent?: string): Promise<TokenPair> {
  const res = await call<TokenPair>(url, 'POST', '/api/auth/login', {
    json: { email, password: STRONG_PASSWORD },
    headers: userAgent ? { 'user-agent': userAgent } : {},
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${res.text}`);
  return res.body;
}

export function refresh(url: string, refreshToken: unknown): Promise<JsonResponse<TokenPair & { error?: string; reason?: string }>> {
  return call(url, 'POST', '/api/auth/refresh', { json: { refresh_token: refreshToken } });
}

export function claimsOf(accessToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8'));
}
