import { readClaims } from './token-claims';
import type { TokenStorage } from './storage/token-storage';

/** The access token this tab uses, with its expiry on this client's clock (ms). */
export interface Tokens {
  access: string;
  /** Null in cookie mode: the refresh token is in the server's HttpOnly cookie. */
  refresh: string | null;
  expiresAt: number;
  /** When the token was issued on this client's clock: the lifetime bounds the proactive lead. */
  issuedAt: number;
  sid: string | null;
}

/**
 * From a token response: the expiry is counted from the moment the answer arrived, on this
 * client's clock, so that a skewed clock neither refreshes too late nor in a loop.
 */
export function fromResponse(access: string, refresh: string | null, expiresIn: number, now: number): Tokens {
  return { access, refresh, expiresAt: now + expiresIn * 1000, issuedAt: now, sid: readClaims(access)?.sid ?? null };
}

/** From storage (a reload): the token's own `exp` and `iat`; a token that is no JWT counts as expired. */
export function fromStored(access: string, refresh: string | null): Tokens {
  const claims = readClaims(access);
  const expiresAt = typeof claims?.exp === 'number' ? claims.exp * 1000 : 0;
  const issuedAt = typeof claims?.iat === 'number' ? claims.iat * 1000 : expiresAt;
  return { access, refresh, expiresAt, issuedAt, sid: claims?.sid ?? null };
}

/** Reads and writes the two tokens under `<prefix>_token` and `<prefix>_refresh_token`. */
export class TokenStore {
  readonly accessKey: string;
  readonly refreshKey: string;

  constructor(
    private readonly storage: TokenStorage,
    prefix: string,
  ) {
    this.accessKey = `${prefix}_token`;
    this.refreshKey = `${prefix}_refresh_token`;
  }

  async load(): Promise<{ access: string | null; refresh: string | null }> {
    const [access, refresh] = await Promise.all([this.storage.getItem(this.accessKey), this.storage.getItem(this.refreshKey)]);
    return { access, refresh };
  }

  async save(tokens: Tokens): Promise<void> {
    await this.storage.setItem(this.accessKey, tokens.access);
    if (tokens.refresh !== null) await this.storage.setItem(this.refreshKey, tokens.refresh);
  }

  async clear(): Promise<void> {
    await Promise.all([this.storage.removeItem(this.accessKey), this.storage.removeItem(this.refreshKey)]);
  }
}
