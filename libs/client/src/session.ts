import type { TabMessage } from './tab-message';
import { tokensOfMessage } from './tab-message';
import type { TesseraUser, TokenResponse } from './token-endpoint';
import { fromResponse, fromStored, Tokens, TokenStore } from './token-state';

type TokensMessage = Extract<TabMessage, { type: 'tokens' }>;

/**
 * What this tab knows of its session: the tokens (in memory and in storage), the user of the last
 * token response, and when to refresh. No I/O but the storage; the client decides what to ask the server.
 */
export class Session {
  tokens: Tokens | null = null;
  /** The user of the last token response (null after a reload until the next refresh). */
  user: TesseraUser | null = null;

  constructor(
    private readonly store: TokenStore,
    /** Cookie mode: no refresh token here, and the access token in memory only. */
    readonly cookie: boolean,
    private readonly now: () => number,
  ) {}

  get signedIn(): boolean {
    return this.tokens !== null;
  }

  /** When to refresh: `leewayMs` before expiry, at most half the token's lifetime before. */
  refreshAt(leewayMs: number): number {
    const tokens = this.tokens;
    if (!tokens) return 0;
    return tokens.expiresAt - Math.min(leewayMs, Math.max(0, tokens.expiresAt - tokens.issuedAt) / 2);
  }

  async adopt(body: TokenResponse): Promise<void> {
    const refresh = this.cookie ? null : (body.refresh_token ?? this.tokens?.refresh ?? null);
    this.tokens = fromResponse(body.access_token, refresh, body.expires_in, this.now());
    if (body.user) this.user = body.user;
    await this.store.save(this.tokens);
  }

  /**
   * Another tab's tokens, when they are this tab's session: the same `sid`, the same shared
   * storage (localStorage), or cookie mode (every tab shares the one cookie). False otherwise.
   */
  async adoptMessage(message: TokensMessage): Promise<boolean> {
    const mine = this.cookie || (this.tokens !== null && this.tokens.sid !== null && this.tokens.sid === message.sid);
    if (!mine && (await this.store.load()).access !== message.access) return false;
    this.tokens = tokensOfMessage(message, this.cookie, this.now());
    if (message.user) this.user = message.user;
    await this.store.save(this.tokens);
    return true;
  }

  /** Whether a logout heard from another tab ends this tab's session. */
  endedBy(message: Extract<TabMessage, { type: 'logout' }>): boolean {
    return this.tokens !== null && (this.cookie || this.tokens.sid === message.sid);
  }

  /** What another tab of this session needs; never a refresh token in cookie mode (there is none here). */
  share(event: TokensMessage['event']): TokensMessage {
    const tokens = this.tokens as Tokens;
    const expiresIn = Math.max(0, tokens.expiresAt - this.now()) / 1000;
    return { type: 'tokens', event, sid: tokens.sid, access: tokens.access, refresh: tokens.refresh, expiresIn, user: this.user };
  }

  /** The tokens as storage holds them now (another tab may have rotated them); cookie mode keeps its memory. */
  async reload(): Promise<void> {
    if (this.cookie) return;
    const { access, refresh } = await this.store.load();
    if (access === null && refresh === null) this.tokens = null;
    else if (access !== this.tokens?.access || refresh !== this.tokens?.refresh) this.tokens = fromStored(access ?? '', refresh);
  }

  forget(): void {
    this.tokens = null;
    this.user = null;
  }

  async clear(): Promise<void> {
    this.forget();
    await this.store.clear();
  }
}
