import { memoryStorage } from './memory-storage';
import { resolveStorage } from './resolve-storage';
import { TokenStore } from '../token-state';
import { fromResponse } from '../token-state';

describe('resolveStorage', () => {
  const global = globalThis as Record<string, unknown>;
  afterEach(() => {
    delete global.localStorage;
    delete global.sessionStorage;
  });

  it('defaults to memory where there is no localStorage (Node), and to localStorage where there is', () => {
    expect(resolveStorage(undefined).cookie).toBe(false);
    const local = memoryStorage();
    global.localStorage = local;
    expect(resolveStorage(undefined)).toEqual({ storage: local, cookie: false });
  });

  it('refuses a Web Storage that does not exist here, or that the browser blocks', () => {
    expect(() => resolveStorage('sessionStorage')).toThrow('sessionStorage is not available here');
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get() {
        throw new Error('SecurityError');
      },
    });
    expect(() => resolveStorage('localStorage')).toThrow('localStorage is not available here');
  });

  it('cookie mode keeps the tokens in memory only, never in Web Storage', () => {
    const local = memoryStorage();
    global.localStorage = local;
    const resolved = resolveStorage('cookie');
    expect(resolved.cookie).toBe(true);
    expect(resolved.storage).not.toBe(local);
  });

  it('a custom adapter is used as it is', () => {
    const custom = memoryStorage();
    expect(resolveStorage(custom)).toEqual({ storage: custom, cookie: false });
  });
});

describe('TokenStore', () => {
  it('writes <prefix>_token and <prefix>_refresh_token, and clears both', async () => {
    const storage = memoryStorage();
    const store = new TokenStore(storage, 'KetteiFlow');
    await store.save(fromResponse('at', 'rt', 60, 0));
    expect([storage.getItem('KetteiFlow_token'), storage.getItem('KetteiFlow_refresh_token')]).toEqual(['at', 'rt']);
    expect(await store.load()).toEqual({ access: 'at', refresh: 'rt' });
    await store.clear();
    expect(await store.load()).toEqual({ access: null, refresh: null });
  });

  it('never writes a refresh token it does not have (cookie mode)', async () => {
    const storage = memoryStorage();
    await new TokenStore(storage, 'tessera').save(fromResponse('at', null, 60, 0));
    expect(storage.getItem('tessera_refresh_token')).toBeNull();
  });

  it('waits for an adapter that answers with promises (a native keychain)', async () => {
    const items = new Map<string, string>();
    const store = new TokenStore(
      {
        getItem: async (k) => items.get(k) ?? null,
        setItem: async (k, v) => void items.set(k, v),
        removeItem: async (k) => void items.delete(k),
      },
      'app',
    );
    await store.save(fromResponse('at', 'rt', 60, 0));
    expect(await store.load()).toEqual({ access: 'at', refresh: 'rt' });
  });
});
