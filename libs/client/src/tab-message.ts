import type { TesseraUser } from './token-endpoint';
import type { Tokens } from './token-state';

/**
 * What one tab tells the others over the BroadcastChannel. In cookie mode `refresh` is always
 * null: no refresh token ever reaches a script.
 */
export type TabMessage =
  | {
      type: 'tokens';
      event: 'login' | 'refresh';
      sid: string | null;
      access: string;
      refresh: string | null;
      /** Seconds left when sent: each tab counts the expiry on its own clock. */
      expiresIn: number;
      user: TesseraUser | null;
    }
  | { type: 'logout'; sid: string | null; reason: string };

/** Only well-formed messages are heard (the channel is this origin's, but a page may run other code). */
export function isTabMessage(value: unknown): value is TabMessage {
  if (value === null || typeof value !== 'object') return false;
  const message = value as Record<string, unknown>;
  if (message.type === 'logout') return typeof message.reason === 'string';
  return message.type === 'tokens' && typeof message.access === 'string' && typeof message.expiresIn === 'number' && (message.event === 'login' || message.event === 'refresh');
}

export function tokensOfMessage(message: Extract<TabMessage, { type: 'tokens' }>, cookie: boolean, now: number): Tokens {
  return {
    access: message.access,
    refresh: cookie ? null : message.refresh,
    expiresAt: now + message.expiresIn * 1000,
    issuedAt: now,
    sid: message.sid,
  };
}
