/**
 * The admin API as the console uses it, on `@tessera/client` in cookie mode: the refresh token
 * lives only in the service's HttpOnly cookie and the access token only in this page's memory,
 * so a script injected into the page finds no token to carry away. The client adds the Bearer
 * token, refreshes once on a 401 (shared by concurrent calls and by the console's other tabs) and
 * retries once; when the server ends the session, every tab of the console signs out.
 */
import { createClient, TesseraError } from '@tessera/client';
import type { SecurityLogItem } from '../../security-log/event-types';

type LogItem = SecurityLogItem;

export interface User {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  created_at: string;
  disabled?: boolean;
}

export interface SessionInfo {
  id: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  first_bad_id?: string;
}

export interface UserDetail {
  user: User;
  sessions: SessionInfo[];
}

export interface LogFilters {
  event_type: string[];
  user_id?: string;
  identifier?: string;
  ip?: string;
  from?: string;
  to?: string;
}

/** An answer other than 2xx, in the API's error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { field: string; message: string }[] = [],
  ) {
    super(message);
  }

  /** The message with the field details, for the page. */
  describe(): string {
    return this.details.length > 0 ? `${this.message}: ${this.details.map((d) => `${d.field} ${d.message}`).join('; ')}` : this.message;
  }
}

/** The signed-in session ended (refresh refused, or signed out elsewhere). */
export class SessionEnded extends Error {}

async function errorOf(response: Response): Promise<ApiError> {
  let body: { error?: unknown; message?: unknown; details?: unknown } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not JSON: keep the status line
  }
  const code = typeof body.error === 'string' ? body.error : 'http_error';
  const message = typeof body.message === 'string' ? body.message : `The server answered ${response.status}`;
  const details = Array.isArray(body.details) ? (body.details as { field: string; message: string }[]) : [];
  return new ApiError(response.status, code, message, details);
}

async function withIssuerHint(error: ApiError): Promise<ApiError> {
  try {
    const metadata = (await (await fetch('/.well-known/openid-configuration')).json()) as { issuer?: unknown };
    if (typeof metadata.issuer === 'string' && new URL(metadata.issuer).origin !== location.origin) {
      return new ApiError(error.status, error.code, `${error.message}. Open the console at ${metadata.issuer.replace(/\/+$/, '')}/admin`, error.details);
    }
  } catch {
    // no metadata: the server's message stands alone
  }
  return error;
}

function isAdmin(user: User | null): user is User {
  return user !== null && user.roles.includes('admin');
}

/** `GET /api/admin/security-logs/stats`: every bucket of the range, oldest first. */
export interface Stats {
  bucket: 'minute' | 'hour' | 'day';
  from: string;
  to: string;
  items: { start: string; counts: Partial<Record<string, number>> }[];
}

export function filterParams(filters: LogFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const type of filters.event_type) params.append('event_type', type);
  for (const name of ['user_id', 'identifier', 'ip', 'from', 'to'] as const) {
    const value = filters[name];
    if (value) params.set(name, value);
  }
  return params;
}

export class Api {
  private readonly client = createClient({ issuer: location.origin, storage: 'cookie', prefix: 'tessera_admin' });
  private current: User | null = null;
  /** Called once when the session ends without the user signing out here, with the server's reason. */
  onSessionEnded: (reason: string) => void = () => undefined;

  constructor() {
    this.client.on('logout', ({ reason }) => {
      const wasSignedIn = this.current !== null;
      this.current = null;
      // Signed out here, `current` is already null; elsewhere (another tab, the server), say so.
      if (wasSignedIn) this.onSessionEnded(reason);
    });
    // A refresh re-reads the roles: an admin demoted meanwhile is signed out at the next one.
    this.client.on('refresh', ({ user }) => {
      if (user && this.current && !isAdmin(user)) void this.end('forbidden');
      else if (user && this.current) this.current = user;
    });
  }

  get user(): User | null {
    return this.current;
  }

  /** At load: the session the cookie still holds, if any (one refresh), when it is an admin's. */
  async restore(): Promise<User | null> {
    const token = await this.client.getAccessToken();
    if (token === null) return null;
    if (!isAdmin(this.client.user)) {
      await this.client.logout();
      return null;
    }
    this.current = this.client.user;
    return this.current;
  }

  async login(email: string, password: string): Promise<User> {
    let user: User | null;
    try {
      user = await this.client.login(email, password);
    } catch (error) {
      if (!(error instanceof TesseraError)) throw error;
      const refused = new ApiError(error.status ?? 0, error.code ?? 'http_error', error.message, error.details);
      // Cookie mode accepts only the issuer's origin (and CORS_ORIGINS): the console opened under
      // another name (127.0.0.1 for localhost) is refused, so say where it works.
      if (error.status === 403) throw await withIssuerHint(refused);
      throw refused;
    }
    if (!isAdmin(user)) {
      // Not ours to keep: end that session at once.
      await this.client.logout();
      throw new ApiError(403, 'forbidden', 'This account is not an admin');
    }
    this.current = user;
    return user;
  }

  async logout(): Promise<void> {
    this.current = null;
    await this.client.logout();
  }

  private async end(reason: string): Promise<void> {
    const wasSignedIn = this.current !== null;
    this.current = null;
    await this.client.logout();
    if (wasSignedIn) this.onSessionEnded(reason);
  }

  /** An authenticated call; the client refreshes once on 401 and retries; a 401 after that ends the session. */
  async send(method: string, path: string, body?: unknown): Promise<Response> {
    if (!this.current) throw new SessionEnded('Not signed in');
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await this.client.fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    if (response.status === 401) {
      await this.end('unauthorized');
      throw new SessionEnded('Your session has ended: please sign in again');
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.send(method, path, body)).json()) as T;
  }

  logs(filters: LogFilters, limit: number, cursor: string | null): Promise<Page<LogItem>> {
    const params = filterParams(filters);
    params.set('limit', String(limit));
    if (cursor) params.set('cursor', cursor);
    return this.json('GET', `/api/admin/security-logs?${params}`);
  }

  /** Counts per bucket and type for the timeline; `filters` without time (the range sets it). */
  stats(filters: LogFilters, bucket: string, from: string, to: string): Promise<Stats> {
    const params = filterParams({ ...filters, from, to });
    params.set('bucket', bucket);
    return this.json('GET', `/api/admin/security-logs/stats?${params}`);
  }

  verify(): Promise<VerifyResult> {
    return this.json('GET', '/api/admin/security-logs/verify');
  }

  async export(filters: LogFilters, format: 'ndjson' | 'csv'): Promise<{ blob: Blob; filename: string }> {
    const params = filterParams(filters);
    params.set('format', format);
    const response = await this.send('GET', `/api/admin/security-logs/export?${params}`);
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const named = /filename="([^"]+)"/.exec(disposition);
    return { blob: await response.blob(), filename: named ? named[1] : `security-logs.${format}` };
  }

  users(email: string, limit = 20): Promise<Page<User>> {
    const params = new URLSearchParams({ limit: String(limit) });
    if (email) params.set('email', email);
    return this.json('GET', `/api/admin/users?${params}`);
  }

  userDetail(id: string): Promise<UserDetail> {
    return this.json('GET', `/api/admin/users/${encodeURIComponent(id)}`);
  }

  async userAction(id: string, action: 'revoke-sessions' | 'disable' | 'enable'): Promise<void> {
    await this.send('POST', `/api/admin/users/${encodeURIComponent(id)}/${action}`);
  }
}
