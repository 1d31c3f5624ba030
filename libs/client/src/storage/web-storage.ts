import type { TokenStorage } from './token-storage';

/**
 * The page's `localStorage` or `sessionStorage`, or null where there is none (Node) or where the
 * browser refuses it (reading the property throws a SecurityError when storage is blocked).
 */
export function webStorage(kind: 'localStorage' | 'sessionStorage'): TokenStorage | null {
  try {
    const storage = (globalThis as Record<string, unknown>)[kind] as TokenStorage | undefined;
    return storage && typeof storage.getItem === 'function' ? storage : null;
  } catch {
    return null;
  }
}
