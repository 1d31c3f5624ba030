import { memoryStorage } from './memory-storage';
import type { StorageOption, TokenStorage } from './token-storage';
import { webStorage } from './web-storage';

/** What the client keeps where. In cookie mode the refresh token is nowhere a script can reach. */
export interface ResolvedStorage {
  storage: TokenStorage;
  cookie: boolean;
}

/** The default is `localStorage` in a browser and memory elsewhere (Node, workers without storage). */
export function resolveStorage(option: StorageOption | undefined): ResolvedStorage {
  if (option === 'cookie') return { storage: memoryStorage(), cookie: true };
  if (option === 'memory') return { storage: memoryStorage(), cookie: false };
  if (option === 'localStorage' || option === 'sessionStorage') {
    const storage = webStorage(option);
    if (!storage) throw new TypeError(`${option} is not available here: choose 'memory' or a custom storage`);
    return { storage, cookie: false };
  }
  if (option) return { storage: option, cookie: false };
  return { storage: webStorage('localStorage') ?? memoryStorage(), cookie: false };
}
