import type { StorageOption } from './storage/token-storage';
import type { TesseraUser, Transport } from './token-endpoint';

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
