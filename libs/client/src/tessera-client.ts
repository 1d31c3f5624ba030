import { Emitter } from './emitter';
import { TesseraError } from './errors';
import { SingleFlight } from './single-flight';
import { resolveStorage } from './storage/resolve-storage';
import type { StorageOption } from './storage/token-storage';
import { coordinationName, TabChannel, TabLock } from './tab-lock';
import { isTabMessage, TabMessage, tokensOfMessage } from './tab-message';
import { TokenEndpoint, TesseraUser, TokenResponse, Transport } from './token-endpoint';
import { fromResponse, fromStored, Tokens, TokenStore } from './token-state';
import { Timers } from './timers';

/** Options of {@link createClient}. */
export interface TesseraClientOptions {
  /** The service's base URL, e.g. `https://auth.example.com` (its `/api/auth/*` endpoints are used). */
  issuer: string;
  /** Where the tokens live; `localStorage` in a browser, memory elsewhere. */
  storage?: StorageOption;
  /** Names the storage keys (`<prefix>_token`, `<prefix>_refresh_token`), the tab lock and the channel. Default `tessera`. */
  prefix?: string;
  /** The `fetch` to use (default: the global one). */
  transport?: Transport;
  /** This client's clock in ms (default `Date.now`). */
  now?: () => number;
  /** Refresh this many seconds before the access token expires (at most half its lifetime). Default 30. */
  refreshLeeway?: number;
  /** First delay before retrying a refresh that met a network error, a 429 or a 5xx, in ms (doubling, at most 60 s). Default 5000. */
  retryDelay?: number;
}

/** The events a client emits; tabs that share a session hear each other's. */
export interface TesseraEvents {
  login: { user: TesseraUser | null };
  refresh: { user: TesseraUser | null; expiresAt: number };
  /** `reason`: the server's (`revoked`, `reused`, `expired`, `session_expired`, `unknown`), or `logout` when the user signed out. */
  logout: { reason: string };
}

/** Adopting another tab's new tokens needs nothing more than this; a lone tab never waits. */
const SETTLE_MS = 50;

/**
 * A session with Tessera: signs in, keeps the access token fresh, refreshes once for every
 * caller and every tab, and ends the session only when the server says so (`invalid_grant`).
 */
export class TesseraClient extends Emitter<TesseraEvents> {
  private readonly issuer: string;
  private readonly cookie: boolean;
  private readonly store: TokenStore;
  private readonly endpoint: TokenEndpoint;
  private readonly now: () => number;
  private readonly leewayMs: number;
  private readonly retryMs: number;
  private readonly transport: Transport;
  private readonly flight = new SingleFlight<void>();
  private readonly lock: TabLock;
  private readonly channel: TabChannel<unknown>;
  private readonly timers = new Timers();
  private readonly ready: Promise<void>;
  private tokens: Tokens | null = null;
  private failures = 0;
  /** The user of the last token response (null after a reload until the next refresh). */
  user: TesseraUser | null = null;

  constructor(options: TesseraClientOptions) {
    super();
    this.issuer = options.issuer.replace(/\/+$/, '');
    const prefix = options.prefix ?? 'tessera';
    const { storage, cookie } = resolveStorage(options.storage);
    this.cookie = cookie;
    this.store = new TokenStore(storage, prefix);
    const transport = options.transport ?? ((input, init) => globalThis.fetch(input, init));
    this.transport = transport;
    this.endpoint = new TokenEndpoint(this.issuer, transport, cookie);
    this.now = options.now ?? Date.now;
    this.leewayMs = (options.refreshLeeway ?? 30) * 1000;
    this.retryMs = options.retryDelay ?? 5000;
    const name = coordinationName(this.issuer, prefix);
    this.lock = new TabLock(name);
    this.channel = new TabChannel<unknown>(name, (message) => {
      if (isTabMessage(message)) void this.hear(message);
    });
    this.ready = this.reload().then(() => this.schedule());
  }

  /** Signs in; resolves to the user, or rejects with a TesseraError (`rejected` with the server's code). */
  async login(email: string, password: string): Promise<TesseraUser | null> {
    await this.ready;
    const body = await this.endpoint.login(email, password);
    await this.adopt(body);
    this.channel.post({ type: 'tokens', event: 'login', ...this.share() });
    this.emit('login', { user: this.user });
    return this.user;
  }

  /** Signs out here, in every tab of this session, and at the server (best effort: offline, the token expires). */
  async logout(): Promise<void> {
    await this.ready;
    const refresh = this.tokens?.refresh ?? null;
    const signedIn = this.tokens !== null || this.cookie;
    try {
      if (signedIn) await this.endpoint.logout(refresh);
    } catch {
      // unreachable or refused: the session is over for this client either way
    }
    await this.end('logout', true);
  }

  /** Refreshes now (shared with any refresh in flight here or in another tab). */
  async refresh(): Promise<void> {
    await this.ready;
    await this.rotate(this.tokens?.access ?? null);
  }

  /** A usable access token (refreshed first when it is about to expire), or null when signed out. */
  async getAccessToken(): Promise<string | null> {
    await this.ready;
    const tokens = this.tokens;
    if (!tokens && !this.cookie) return null;
    if (tokens && this.now() < this.refreshAt(tokens)) return tokens.access;
    try {
      await this.rotate(tokens?.access ?? null);
    } catch (error) {
      if (!(error instanceof TesseraError)) throw error;
      // Offline or overloaded: the old token may still pass (clocks differ); a retry is scheduled.
      if (error.kind === 'unavailable' && tokens && this.tokens) return this.tokens.access;
      if (error.kind === 'unavailable') throw error;
      return null;
    }
    return this.tokens?.access ?? null;
  }

  /**
   * `fetch` with `Authorization: Bearer`; on a 401 one refresh and one retry; a second 401 is
   * returned as it is. Signed out, the request goes without the header. A body that is a stream
   * cannot be sent twice: pass a string, a Blob or FormData for requests that may be retried.
   */
  async fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    let token: string | null;
    try {
      token = await this.getAccessToken();
    } catch {
      token = this.tokens?.access ?? null;
    }
    const response = await this.send(input, init, token);
    if (response.status !== 401 || token === null) return response;
    try {
      await this.rotate(token);
    } catch {
      return response;
    }
    const fresh = this.tokens?.access ?? null;
    return fresh === null ? response : this.send(input, init, fresh);
  }

  /** Stops timers and leaves the tab channel (for tests and short-lived scripts). */
  close(): void {
    this.timers.clear();
    this.channel.close();
    this.forget();
  }

  private send(input: string | URL | Request, init: RequestInit, token: string | null): Promise<Response> {
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    if (token !== null) headers.set('Authorization', `Bearer ${token}`);
    return this.transport(input instanceof Request ? input.clone() : input, { ...init, headers });
  }

  private refreshAt(tokens: Tokens): number {
    const lead = Math.min(this.leewayMs, Math.max(0, tokens.expiresAt - tokens.issuedAt) / 2);
    return tokens.expiresAt - lead;
  }

  /**
   * One refresh for the token `stale`: shared by the callers of this page (single flight) and
   * decided between tabs (tab lock). Inside the lock, a token other than `stale` means that
   * another tab (or an earlier flight) already rotated it: this one adopts it and spends nothing.
   */
  private rotate(stale: string | null): Promise<void> {
    if (stale !== null && this.tokens !== null && this.tokens.access !== stale) return Promise.resolve();
    return this.flight.run(() =>
      this.lock.run(async () => {
        await this.reload();
        const current = this.tokens;
        if (current && current.access !== stale) return;
        if (!current && !this.cookie) throw new TesseraError('not_signed_in', 'Not signed in');
        let body: TokenResponse;
        try {
          body = await this.endpoint.refresh(current?.refresh ?? null);
        } catch (error) {
          if (error instanceof TesseraError) await this.failed(error);
          throw error;
        }
        this.failures = 0;
        await this.adopt(body);
        this.channel.post({ type: 'tokens', event: 'refresh', ...this.share() });
        this.emit('refresh', { user: this.user, expiresAt: this.tokens?.expiresAt ?? 0 });
        // Hold the lock until the other tabs have the message, so that none refreshes again.
        if (this.lock.shared && this.channel.shared) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      }),
    );
  }

  private async failed(error: TesseraError): Promise<void> {
    if (error.kind === 'session_ended') {
      await this.end(error.reason ?? 'unknown', true);
      return;
    }
    if (error.kind !== 'unavailable' || !this.tokens) return;
    // Keep the tokens and try again later (doubling, Retry-After honoured, at most a minute).
    const backoff = Math.min(60_000, this.retryMs * 2 ** this.failures);
    this.failures += 1;
    const delay = Math.max(backoff, (error.retryAfter ?? 0) * 1000);
    this.timers.set('refresh', delay, () => void this.rotate(this.tokens?.access ?? null).catch(() => undefined));
  }

  private async adopt(body: TokenResponse): Promise<void> {
    const refresh = this.cookie ? null : (body.refresh_token ?? this.tokens?.refresh ?? null);
    this.tokens = fromResponse(body.access_token, refresh, body.expires_in, this.now());
    if (body.user) this.user = body.user;
    await this.store.save(this.tokens);
    this.schedule();
  }

  /** What another tab of this session needs; never a refresh token in cookie mode (there is none here). */
  private share(): Omit<Extract<TabMessage, { type: 'tokens' }>, 'type' | 'event'> {
    const tokens = this.tokens as Tokens;
    return { sid: tokens.sid, access: tokens.access, refresh: tokens.refresh, expiresIn: Math.max(0, tokens.expiresAt - this.now()) / 1000, user: this.user };
  }

  /** A message from another tab: adopted when it is this tab's session (or cookie mode, where the cookie is shared). */
  private async hear(message: TabMessage): Promise<void> {
    await this.ready;
    const mine = this.cookie || (this.tokens !== null && this.tokens.sid !== null && this.tokens.sid === message.sid);
    if (message.type === 'logout') {
      if (mine && this.tokens) await this.end(message.reason, false);
      return;
    }
    const shared = !mine && (await this.store.load()).access === message.access;
    if (!mine && !shared) return;
    const wasSignedIn = this.tokens !== null;
    this.tokens = tokensOfMessage(message, this.cookie, this.now());
    if (message.user) this.user = message.user;
    await this.store.save(this.tokens);
    this.failures = 0;
    this.schedule();
    if (message.event === 'login' && !wasSignedIn) this.emit('login', { user: this.user });
    else this.emit('refresh', { user: this.user, expiresAt: this.tokens.expiresAt });
  }

  /** The tokens as storage holds them now (another tab may have rotated them); cookie mode keeps its memory. */
  private async reload(): Promise<void> {
    if (this.cookie) return;
    const { access, refresh } = await this.store.load();
    if (access === null && refresh === null) this.tokens = null;
    else if (access !== this.tokens?.access || refresh !== this.tokens?.refresh) this.tokens = fromStored(access ?? '', refresh);
  }

  private schedule(): void {
    const tokens = this.tokens;
    if (!tokens) return;
    const delay = Math.max(0, this.refreshAt(tokens) - this.now());
    this.timers.set('refresh', delay, () => void this.rotate(tokens.access).catch(() => undefined));
  }

  private forget(): void {
    this.tokens = null;
    this.user = null;
    this.failures = 0;
  }

  private async end(reason: string, broadcast: boolean): Promise<void> {
    const sid = this.tokens?.sid ?? null;
    const wasSignedIn = this.tokens !== null;
    this.timers.clear();
    this.forget();
    await this.store.clear();
    // A tab that was not signed in (cookie mode before its first refresh) has nothing to end elsewhere.
    if (!wasSignedIn) return;
    if (broadcast) this.channel.post({ type: 'logout', sid, reason });
    this.emit('logout', { reason });
  }
}

/** A client for one Tessera service; see {@link TesseraClientOptions}. */
export function createClient(options: TesseraClientOptions): TesseraClient {
  return new TesseraClient(options);
}
