import { Emitter } from './emitter';
import { TesseraError } from './errors';
import { Session } from './session';
import { SingleFlight } from './single-flight';
import { resolveStorage } from './storage/resolve-storage';
import type { TesseraClientOptions, TesseraEvents } from './client-options';
import { coordinationName, TabChannel, TabLock } from './tab-lock';
import { isTabMessage, TabMessage } from './tab-message';
import { Timers } from './timers';
import { TesseraUser, TokenEndpoint, TokenResponse, Transport } from './token-endpoint';
import { TokenStore } from './token-state';

/** Long enough for the other tabs to receive the new tokens before the lock passes on; a lone tab never waits. */
const SETTLE_MS = 50;

/**
 * A session with Tessera: signs in, keeps the access token fresh, refreshes once for every
 * caller and every tab, and ends the session only when the server says so (`invalid_grant`).
 */
export class TesseraClient extends Emitter<TesseraEvents> {
  private readonly session: Session;
  private readonly endpoint: TokenEndpoint;
  private readonly transport: Transport;
  private readonly now: () => number;
  private readonly leewayMs: number;
  private readonly retryMs: number;
  private readonly flight = new SingleFlight<void>();
  private readonly lock: TabLock;
  private readonly channel: TabChannel<unknown>;
  private readonly timers = new Timers();
  private readonly ready: Promise<void>;
  private failures = 0;

  constructor(options: TesseraClientOptions) {
    super();
    const issuer = options.issuer.replace(/\/+$/, '');
    const prefix = options.prefix ?? 'tessera';
    const { storage, cookie } = resolveStorage(options.storage);
    this.now = options.now ?? Date.now;
    this.session = new Session(new TokenStore(storage, prefix), cookie, this.now);
    this.transport = options.transport ?? ((input, init) => globalThis.fetch(input, init));
    this.endpoint = new TokenEndpoint(issuer, this.transport, cookie);
    this.leewayMs = (options.refreshLeeway ?? 30) * 1000;
    this.retryMs = options.retryDelay ?? 5000;
    const name = coordinationName(issuer, prefix);
    this.lock = new TabLock(name);
    this.channel = new TabChannel<unknown>(name, (message) => {
      if (isTabMessage(message)) void this.hear(message);
    });
    this.ready = this.session.reload().then(() => this.schedule());
  }

  /** The user of the last token response (null after a reload until the next refresh, and when signed out). */
  get user(): TesseraUser | null {
    return this.session.user;
  }

  /** Signs in; resolves to the user, or rejects with a TesseraError (`rejected` with the server's code). */
  async login(email: string, password: string): Promise<TesseraUser | null> {
    await this.ready;
    await this.accept(await this.endpoint.login(email, password), 'login');
    return this.session.user;
  }

  /** Signs out here, in every tab of this session, and at the server (best effort: offline, the token expires). */
  async logout(): Promise<void> {
    await this.ready;
    try {
      if (this.session.signedIn || this.session.cookie) await this.endpoint.logout(this.session.tokens?.refresh ?? null);
    } catch {
      // unreachable or refused: the session is over for this client either way
    }
    await this.end('logout');
  }

  /** Refreshes now (shared with any refresh in flight here or in another tab). */
  async refresh(): Promise<void> {
    await this.ready;
    await this.rotate(this.session.tokens?.access ?? null);
  }

  /** A usable access token (refreshed first when it is about to expire), or null when signed out. */
  async getAccessToken(): Promise<string | null> {
    await this.ready;
    const held = this.session.tokens;
    if (!held && !this.session.cookie) return null;
    if (held && this.now() < this.session.refreshAt(this.leewayMs)) return held.access;
    try {
      await this.rotate(held?.access ?? null);
    } catch (error) {
      if (!(error instanceof TesseraError)) throw error;
      // Offline or overloaded: the old token may still pass (clocks differ); a retry is scheduled.
      if (error.kind === 'unavailable' && !this.session.tokens) throw error;
    }
    return this.session.tokens?.access ?? null;
  }

  /**
   * `fetch` with `Authorization: Bearer`; on a 401 one refresh and one retry; a second 401 is
   * returned as it is. Signed out, the request goes without the header. A body that is a stream
   * cannot be sent twice: pass a string, a Blob or FormData for requests that may be retried.
   */
  async fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const token = await this.getAccessToken().catch(() => this.session.tokens?.access ?? null);
    const response = await this.send(input, init, token);
    if (response.status !== 401 || token === null) return response;
    try {
      await this.rotate(token);
    } catch {
      return response;
    }
    const fresh = this.session.tokens?.access ?? null;
    return fresh === null ? response : this.send(input, init, fresh);
  }

  /** Stops timers and leaves the tab channel (for tests and short-lived scripts). */
  close(): void {
    this.timers.clear();
    this.channel.close();
    this.session.forget();
  }

  private send(input: string | URL | Request, init: RequestInit, token: string | null): Promise<Response> {
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    if (token !== null) headers.set('Authorization', `Bearer ${token}`);
    return this.transport(input instanceof Request ? input.clone() : input, { ...init, headers });
  }

  /**
   * One refresh for the token `stale`: shared by the callers of this page (single flight) and
   * decided between tabs (tab lock). Inside the lock, a token other than `stale` means that
   * another tab (or an earlier flight) already rotated it: this one adopts it and spends nothing.
   */
  private rotate(stale: string | null): Promise<void> {
    const current = this.session.tokens;
    if (stale !== null && current !== null && current.access !== stale) return Promise.resolve();
    return this.flight.run(() =>
      this.lock.run(async () => {
        await this.session.reload();
        const held = this.session.tokens;
        if (held && held.access !== stale) return;
        if (!held && !this.session.cookie) throw new TesseraError('not_signed_in', 'Not signed in');
        let body: TokenResponse;
        try {
          body = await this.endpoint.refresh(held?.refresh ?? null);
        } catch (error) {
          if (error instanceof TesseraError) await this.failed(error);
          throw error;
        }
        await this.accept(body, 'refresh');
        // Hold the lock until the other tabs have the message, so that none refreshes again.
        if (this.lock.shared && this.channel.shared) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      }),
    );
  }

  private async accept(body: TokenResponse, event: 'login' | 'refresh'): Promise<void> {
    await this.session.adopt(body);
    this.failures = 0;
    this.schedule();
    this.channel.post(this.session.share(event));
    this.announce(event);
  }

  private announce(event: 'login' | 'refresh'): void {
    if (event === 'login') this.emit('login', { user: this.session.user });
    else this.emit('refresh', { user: this.session.user, expiresAt: this.session.tokens?.expiresAt ?? 0 });
  }

  /** Only `invalid_grant` ends the session; a network error, a 429 or a 5xx keeps it and retries later. */
  private async failed(error: TesseraError): Promise<void> {
    if (error.kind === 'session_ended') return this.end(error.reason ?? 'unknown');
    if (error.kind !== 'unavailable' || !this.session.signedIn) return;
    const backoff = Math.min(60_000, this.retryMs * 2 ** this.failures);
    this.failures += 1;
    const delay = Math.max(backoff, (error.retryAfter ?? 0) * 1000);
    this.timers.set('refresh', delay, () => void this.rotate(this.session.tokens?.access ?? null).catch(() => undefined));
  }

  /** A message from another tab of this origin, issuer and prefix. */
  private async hear(message: TabMessage): Promise<void> {
    await this.ready;
    if (message.type === 'logout') {
      if (this.session.endedBy(message)) await this.end(message.reason, false);
      return;
    }
    const wasSignedIn = this.session.signedIn;
    if (!(await this.session.adoptMessage(message))) return;
    this.failures = 0;
    this.schedule();
    this.announce(message.event === 'login' && !wasSignedIn ? 'login' : 'refresh');
  }

  private schedule(): void {
    const access = this.session.tokens?.access;
    if (access === undefined) return;
    const delay = Math.max(0, this.session.refreshAt(this.leewayMs) - this.now());
    this.timers.set('refresh', delay, () => void this.rotate(access).catch(() => undefined));
  }

  private async end(reason: string, broadcast = true): Promise<void> {
    const sid = this.session.tokens?.sid ?? null;
    const wasSignedIn = this.session.signedIn;
    this.timers.clear();
    this.failures = 0;
    await this.session.clear();
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
