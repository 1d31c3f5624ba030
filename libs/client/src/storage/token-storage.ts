/**
 * Where the tokens are kept, under `<prefix>_token` and `<prefix>_refresh_token`. Web Storage
 * (`localStorage`, `sessionStorage`) fits as it is; a custom adapter (a native keychain, an
 * encrypted store) may answer with promises.
 */
export interface TokenStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/**
 * `localStorage` (the browser default; shared by the tabs of one origin), `sessionStorage` (one
 * tab), `memory` (the Node default; gone with the process), `cookie` (browser cookie mode, SPEC §2:
 * the refresh token in the server's HttpOnly cookie, the access token in memory only), or an adapter.
 */
export type StorageOption = 'localStorage' | 'sessionStorage' | 'memory' | 'cookie' | TokenStorage;
