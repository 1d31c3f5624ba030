import { Session } from './session';
import { memoryStorage } from './storage/memory-storage';
import { TokenStore } from './token-state';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${encode({ alg: 'ES256' })}.${encode(claims)}.c2ln`;
const response = (sid: string, expiresIn = 60) => ({ access_token: jwt({ sid }), token_type: 'Bearer', expires_in: expiresIn, refresh_token: `rt_${sid}` });

function session(cookie = false, storage = memoryStorage(), now = () => 1_000_000) {
  return new Session(new TokenStore(storage, 'tessera'), cookie, now);
}

describe('Session', () => {
  it('refreshes `leeway` before expiry, but never earlier than half the lifetime', async () => {
    const s = session();
    await s.adopt(response('a', 60));
    expect(s.refreshAt(30_000)).toBe(1_000_000 + 30_000);
    expect(s.refreshAt(10_000)).toBe(1_000_000 + 50_000);
    await s.adopt(response('a', 900));
    expect(s.refreshAt(30_000)).toBe(1_000_000 + 870_000);
  });

  it("adopts another tab's tokens of the same session (sid), not those of another session", async () => {
    const s = session();
    await s.adopt(response('mine'));
    const other = session();
    await other.adopt(response('theirs'));
    expect(await s.adoptMessage(other.share('refresh'))).toBe(false);
    expect(s.tokens?.sid).toBe('mine');
    const sibling = session();
    await sibling.adopt({ ...response('mine'), refresh_token: 'rt_next' });
    expect(await s.adoptMessage(sibling.share('refresh'))).toBe(true);
    expect(s.tokens?.refresh).toBe('rt_next');
  });

  it('adopts a login of another tab when the storage is shared (localStorage), and any message in cookie mode', async () => {
    const shared = memoryStorage();
    const writer = session(false, shared);
    await writer.adopt(response('new'));
    expect(await session(false, shared).adoptMessage(writer.share('login'))).toBe(true);
    expect(await session(false).adoptMessage(writer.share('login'))).toBe(false);
    const cookieTab = session(true);
    expect(await cookieTab.adoptMessage({ ...writer.share('login'), refresh: null })).toBe(true);
    expect(cookieTab.tokens?.refresh).toBeNull();
  });

  it('in cookie mode keeps no refresh token, even when a response carried one', async () => {
    const storage = memoryStorage();
    const s = session(true, storage);
    await s.adopt(response('c'));
    expect(s.tokens?.refresh).toBeNull();
    expect(s.share('refresh').refresh).toBeNull();
    expect(storage.getItem('tessera_refresh_token')).toBeNull();
  });

  it("ends on another tab's logout of the same session only", async () => {
    const s = session();
    await s.adopt(response('x'));
    expect(s.endedBy({ type: 'logout', sid: 'y', reason: 'revoked' })).toBe(false);
    expect(s.endedBy({ type: 'logout', sid: 'x', reason: 'revoked' })).toBe(true);
    await s.clear();
    expect(s.endedBy({ type: 'logout', sid: 'x', reason: 'revoked' })).toBe(false);
  });

  it('reloads what another tab wrote to shared storage, and forgets when it was cleared', async () => {
    const shared = memoryStorage();
    const s = session(false, shared);
    await s.adopt(response('r'));
    shared.setItem('tessera_token', jwt({ sid: 'r', exp: 2000, iat: 1940 }));
    shared.setItem('tessera_refresh_token', 'rt_rotated');
    await s.reload();
    expect(s.tokens).toMatchObject({ refresh: 'rt_rotated', expiresAt: 2_000_000 });
    shared.removeItem('tessera_token');
    shared.removeItem('tessera_refresh_token');
    await s.reload();
    expect(s.tokens).toBeNull();
  });
});
