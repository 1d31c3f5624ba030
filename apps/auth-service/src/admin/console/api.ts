/**
 * The admin API as the console uses it. Tokens live in sessionStorage (this tab only, gone when
 * it closes) and go out in the Authorization header, never in a URL. A 401 triggers one refresh
 * (shared by concurrent calls, since refresh tokens rotate) and one retry; a second 401 signs out.
 */

export const EVENT_TYPES = [
  'user_registered',
  'login_success',
  'login_failure',
  'account_locked',
  'account_unlocked',
  'token_refreshed',
  'refresh_failed',
  'refresh_token_reuse_detected',
  'logout',
  'logout_all',
  'session_revoked',
  'password_changed',
  'signing_key_rotated',
  'rate_limited',
  'admin_action',
] as const;

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

export interface LogItem {
  id: string;
  event_type: string;
  user_id: string | null;
  identifier: string | null;
  ip: string | null;
  user_agent: string | null;
  session_id: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  created_at: string;
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

interface Tokens {
  access_token: string;
  refresh_token: string;
  user: User;
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

const STORAGE_KEY = 'tessera.admin.session';

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
  private tokens: Tokens | null = null;
  private refreshing: Promise<boolean> | null = null;
  /** Called once when the session ends without the user signing out. */
  onSessionEnded: () => void = () => undefined;

  constructor() {
    try {
      const saved = sessionStorage.getItem(STORAGE_KEY);
      if (saved) this.tokens = JSON.parse(saved) as Tokens;
    } catch {
      this.tokens = null;
    }
  }

  get user(): User | null {
    return this.tokens?.user ?? null;
  }

  private save(tokens: Tokens | null): void {
    this.tokens = tokens;
    try {
      if (tokens) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
      else sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // storage unavailable: the tokens stay in memory only
    }
  }

  async login(email: string, password: string): Promise<User> {
    const response = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password }),
      credentials: 'omit',
    });
    if (!response.ok) throw await errorOf(response);
    const body = (await response.json()) as Tokens;
    if (!body.user.roles.includes('admin')) {
      // Not ours to keep: end that session at once.
      void fetch('/api/auth/logout', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: body.refresh_token }) });
      throw new ApiError(403, 'forbidden', 'This account is not an admin');
    }
    this.save({ access_token: body.access_token, refresh_token: body.refresh_token, user: body.user });
    return body.user;
  }

  async logout(): Promise<void> {
    const tokens = this.tokens;
    this.save(null);
    if (!tokens) return;
    try {
      await fetch('/api/auth/logout', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: tokens.refresh_token }),
        credentials: 'omit',
      });
    } catch {
      // offline: the refresh token expires on its own
    }
  }

  private refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const current = this.tokens;
      if (!current) return false;
      try {
        const response = await fetch('/api/auth/refresh', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refresh_token: current.refresh_token }),
          credentials: 'omit',
        });
        if (!response.ok) return false;
        const body = (await response.json()) as Tokens;
        const user = body.user ?? current.user;
        if (!user.roles.includes('admin')) return false;
        this.save({ access_token: body.access_token, refresh_token: body.refresh_token, user });
        return true;
      } catch {
        return false;
      }
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** An authenticated call; refreshes once on 401, and ends the session if that fails. */
  async send(method: string, path: string, body?: unknown): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const tokens = this.tokens;
      if (!tokens) throw new SessionEnded('Not signed in');
      const headers: Record<string, string> = { Authorization: `Bearer ${tokens.access_token}` };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
      if (response.status !== 401) {
        if (!response.ok) throw await errorOf(response);
        return response;
      }
      // Once only; and when another call refreshed while this one was in flight, just retry.
      const refreshed = attempt === 0 && (this.tokens !== tokens && this.tokens !== null ? true : await this.refresh());
      if (!refreshed) {
        this.save(null);
        this.onSessionEnded();
        throw new SessionEnded('Your session has ended: please sign in again');
      }
    }
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
