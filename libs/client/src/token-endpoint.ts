import { TesseraError } from './errors';

/** The user as the service returns it (SPEC §2). */
export interface TesseraUser {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  created_at: string;
}

/** RFC 6749 §5.1 plus the user; in cookie mode `refresh_token` is absent (it is in the cookie). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  refresh_expires_in?: number;
  user?: TesseraUser;
}

/** `fetch` or anything with its signature (a proxy, a test double, an instrumented fetch). */
export type Transport = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

function retryAfterOf(response: Response): number | undefined {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The server's error shape (SPEC §2) as a TesseraError; 429 and 5xx are `unavailable`. */
async function errorOf(response: Response, action: string): Promise<TesseraError> {
  let body: { error?: unknown; message?: unknown; reason?: unknown; error_description?: unknown; details?: unknown } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  const code = typeof body.error === 'string' ? body.error : undefined;
  const reason = typeof body.reason === 'string' ? body.reason : undefined;
  const text = typeof body.message === 'string' ? body.message : typeof body.error_description === 'string' ? body.error_description : `${action} answered ${response.status}`;
  if (response.status === 429 || response.status >= 500) {
    return new TesseraError('unavailable', text, response.status, code, reason, retryAfterOf(response));
  }
  if (code === 'invalid_grant') return new TesseraError('session_ended', text, response.status, code, reason ?? 'unknown');
  const details = Array.isArray(body.details) ? (body.details as { field: string; message: string }[]) : [];
  return new TesseraError('rejected', text, response.status, code, reason, retryAfterOf(response), details);
}

/**
 * The service's token endpoints. In cookie mode (SPEC §2 "Browser cookie mode") every call
 * carries `X-Token-Transport: cookie` and the browser's cookies (`credentials: 'include'`), and no
 * refresh token is ever sent or read from a body; otherwise no cookie is sent at all.
 */
export class TokenEndpoint {
  constructor(
    private readonly issuer: string,
    private readonly transport: Transport,
    private readonly cookie: boolean,
  ) {}

  private async post(path: string, body: Record<string, string>, action: string): Promise<Response> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (this.cookie) headers['X-Token-Transport'] = 'cookie';
    let response: Response;
    try {
      response = await this.transport(`${this.issuer}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        credentials: this.cookie ? 'include' : 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      throw new TesseraError('unavailable', `${action} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) throw await errorOf(response, action);
    return response;
  }

  async login(email: string, password: string): Promise<TokenResponse> {
    return (await (await this.post('/api/auth/login', { email, password }, 'Sign-in')).json()) as TokenResponse;
  }

  async refresh(refreshToken: string | null): Promise<TokenResponse> {
    const body: Record<string, string> = this.cookie || refreshToken === null ? {} : { refresh_token: refreshToken };
    return (await (await this.post('/api/auth/refresh', body, 'Refresh')).json()) as TokenResponse;
  }

  async logout(refreshToken: string | null): Promise<void> {
    const body: Record<string, string> = this.cookie || refreshToken === null ? {} : { refresh_token: refreshToken };
    await this.post('/api/auth/logout', body, 'Sign-out');
  }
}
