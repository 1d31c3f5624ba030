import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { SecurityLogService } from '../apps/auth-service/src/security-log/security-log.service';
import { RunningService, startAuthService } from './support/auth-service';
import { hasChromium, launchChromium } from './support/browser';
import { CountingProxy, startCountingProxy } from './support/counting-proxy';
import { newSession } from './support/flows';
import { call, STRONG_PASSWORD } from './support/http';

const CLIENT_BUILD = join(__dirname, '..', 'libs', 'client', 'dist', 'index.js');

/**
 * The test page: loads the ESM build as a browser does and exposes one client, its events, and a
 * clock offset (so that tokens "expire" without waiting).
 */
const TEST_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>@tessera/client test page</title></head><body>
<script type="module">
import { createClient } from '/client.js';
const params = new URLSearchParams(location.search);
window.offset = 0;
window.events = [];
const storage = params.get('storage') || undefined;
const client = createClient({ issuer: params.get('issuer') || location.origin, storage, now: () => Date.now() + window.offset });
for (const type of ['login', 'refresh', 'logout']) client.on(type, (payload) => window.events.push({ type, reason: payload.reason }));
window.client = client;
window.ready = true;
</script></body></html>`;

interface TestWindow {
  offset: number;
  events: { type: string; reason?: string }[];
  ready: boolean;
  client: {
    login(email: string, password: string): Promise<unknown>;
    refresh(): Promise<void>;
    getAccessToken(): Promise<string | null>;
    fetch(input: string, init?: RequestInit): Promise<Response>;
  };
}

const ENV = { ACCESS_TOKEN_TTL: '60', CLOCK_TOLERANCE: '0', REFRESH_REUSE_GRACE: '0', RATE_LIMIT_LOGIN: '1000', RATE_LIMIT_REFRESH: '1000', RATE_LIMIT_REGISTER: '1000' };

(hasChromium() ? describe : describe.skip)('(needs /usr/bin/chromium) @tessera/client in Chromium against the real service', () => {
  let service: RunningService;
  let front: CountingProxy;
  let browser: Browser;
  let context: BrowserContext;

  /** The app's origin: a reverse proxy on 127.0.0.1 that serves the test page and passes /api/* to the service. */
  const pageUrl = (storage: string, host = '127.0.0.1') => `${front.url.replace('127.0.0.1', host)}/test-page.html?storage=${storage}`;

  async function openTab(storage: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(pageUrl(storage));
    await page.waitForFunction(() => (window as unknown as TestWindow).ready === true);
    return page;
  }

  const eventsOf = (page: Page) => page.evaluate(() => (window as unknown as TestWindow).events);
  const status = (page: Page, path: string) => page.evaluate((p) => (window as unknown as TestWindow).client.fetch(p).then((r) => r.status), path);
  const accessToken = (page: Page) => page.evaluate(() => (window as unknown as TestWindow).client.getAccessToken());

  async function refreshesOf(userId: string): Promise<number> {
    await service.app.get(SecurityLogService).flush();
    const rows: { n: string }[] = await service.dataSource.query(`SELECT count(*) AS n FROM security_logs WHERE user_id = $1 AND event_type = 'token_refreshed'`, [userId]);
    return Number(rows[0].n);
  }

  beforeAll(async () => {
    if (!existsSync(CLIENT_BUILD)) throw new Error('libs/client/dist is missing: run `npm run build` before the e2e tests');
    front = await startCountingProxy(undefined, {
      '/test-page.html': { contentType: 'text/html; charset=utf-8', body: () => TEST_PAGE },
      '/client.js': { contentType: 'text/javascript; charset=utf-8', body: () => readFileSync(CLIENT_BUILD) },
    });
    // The page's origin is the proxy's: the one CORS_ORIGINS lists (a page on localhost is another site).
    service = await startAuthService({ ...ENV, CORS_ORIGINS: front.url });
    front.forwardTo(service.url);
    browser = await launchChromium();
  });
  beforeEach(async () => {
    context = await browser.newContext();
  });
  afterEach(() => context?.close());
  afterAll(async () => {
    await browser?.close();
    await front?.close();
    await service?.close();
  });

  for (const storage of ['localStorage', 'cookie']) {
    it(`[${storage}] two tabs whose access tokens expire together spend the refresh token once, and both keep working`, async () => {
      const account = await newSession(service.url, `tabs-${storage}`);
      const first = await openTab(storage);
      await first.evaluate(([email, password]) => (window as unknown as TestWindow).client.login(email, password), [account.email, STRONG_PASSWORD]);
      const second = await openTab(storage);
      // The second tab finds the session: in storage, or (cookie mode) through one refresh with the cookie.
      expect(await status(second, '/api/auth/me')).toBe(200);
      const before = await refreshesOf(account.user.id);
      const refreshPosts = front.count('/api/auth/refresh', 'POST');

      // Both clocks pass `exp` at once; both tabs call the API at once.
      for (const page of [first, second]) await page.evaluate(() => ((window as unknown as TestWindow).offset = 61_000));
      const answers = await Promise.all([first, second].flatMap((page) => [status(page, '/api/auth/me'), status(page, '/api/auth/sessions')]));
      expect(answers).toEqual([200, 200, 200, 200]);
      expect((await refreshesOf(account.user.id)) - before).toBe(1);
      expect(front.count('/api/auth/refresh', 'POST') - refreshPosts).toBe(1);
      // One token for both, and both heard of it; the session was never taken for stolen (grace is 0 here).
      expect(await accessToken(first)).toBe(await accessToken(second));
      for (const page of [first, second]) expect((await eventsOf(page)).filter((e) => e.type === 'logout')).toEqual([]);
      expect(await status(first, '/api/auth/me')).toBe(200);
      expect(await status(second, '/api/auth/me')).toBe(200);
    });

    it(`[${storage}] a revoked session signs every tab out with its reason`, async () => {
      const account = await newSession(service.url, `revoked-${storage}`);
      const first = await openTab(storage);
      await first.evaluate(([email, password]) => (window as unknown as TestWindow).client.login(email, password), [account.email, STRONG_PASSWORD]);
      const second = await openTab(storage);
      expect(await status(second, '/api/auth/me')).toBe(200);
      const token = (await accessToken(first))!;
      expect((await call(service.url, 'POST', '/api/auth/revoke', { json: { token } })).status).toBe(200);

      // Only the first tab calls: it learns the reason from the refresh; the second hears it.
      expect(await status(first, '/api/auth/me')).toBe(401);
      for (const page of [first, second]) {
        await page.waitForFunction(() => (window as unknown as TestWindow).events.some((e) => e.type === 'logout'));
        expect((await eventsOf(page)).filter((e) => e.type === 'logout')).toEqual([{ type: 'logout', reason: 'revoked' }]);
        expect(await accessToken(page)).toBeNull();
        expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
      }
    });
  }

  it('[localStorage] a reload restores the session from localStorage', async () => {
    const account = await newSession(service.url, 'reload');
    const page = await openTab('localStorage');
    await page.evaluate(([email, password]) => (window as unknown as TestWindow).client.login(email, password), [account.email, STRONG_PASSWORD]);
    const token = await accessToken(page);
    expect(await page.evaluate(() => Object.keys(localStorage).sort())).toEqual(['tessera_refresh_token', 'tessera_token']);
    const before = await refreshesOf(account.user.id);
    await page.reload();
    await page.waitForFunction(() => (window as unknown as TestWindow).ready === true);
    expect(await accessToken(page)).toBe(token);
    expect(await status(page, '/api/auth/me')).toBe(200);
    expect(await refreshesOf(account.user.id)).toBe(before);
  });

  it('[cookie] the refresh token is in no body, no script-visible cookie and no storage; a reload restores the session through the cookie', async () => {
    const account = await newSession(service.url, 'cookie-hidden');
    const page = await openTab('cookie');
    const bodies: string[] = [];
    page.on('response', (response: Response) => {
      if (!new URL(response.url()).pathname.startsWith('/api/')) return;
      void response.text().then(
        (text) => bodies.push(text),
        () => undefined,
      );
    });
    await page.evaluate(([email, password]) => (window as unknown as TestWindow).client.login(email, password), [account.email, STRONG_PASSWORD]);
    const cookieAfterLogin = (await context.cookies()).find((c) => c.name === 'tessera_refresh')!;
    await page.evaluate(() => (window as unknown as TestWindow).client.refresh());
    expect(await status(page, '/api/auth/me')).toBe(200);
    await page.reload();
    await page.waitForFunction(() => (window as unknown as TestWindow).ready === true);
    expect(await status(page, '/api/auth/me')).toBe(200);

    const cookies = (await context.cookies()).filter((c) => c.name === 'tessera_refresh');
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth', domain: '127.0.0.1' });
    expect(cookies[0].value).toMatch(/^rt_/);
    expect(cookies[0].value).not.toBe(cookieAfterLogin.value); // rotated twice since
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
    await page.waitForTimeout(100); // the last response bodies
    const text = bodies.join('\n');
    expect(text).toContain('access_token');
    for (const value of [cookieAfterLogin.value, cookies[0].value]) expect(text).not.toContain(value);
    expect(text).not.toMatch(/rt_[A-Za-z0-9_-]{43,}/);
    expect(text).not.toContain('refresh_token"');
  });

  it('[cookie] a page of another site (localhost vs 127.0.0.1) cannot refresh or log out', async () => {
    const account = await newSession(service.url, 'cross-site');
    const app = await openTab('cookie');
    await app.evaluate(([email, password]) => (window as unknown as TestWindow).client.login(email, password), [account.email, STRONG_PASSWORD]);
    const before = await refreshesOf(account.user.id);
    const posts = { refresh: front.count('/api/auth/refresh', 'POST'), logout: front.count('/api/auth/logout', 'POST') };

    // Same server, other site: http://localhost:<port>.
    const evil = await context.newPage();
    await evil.goto(pageUrl('cookie', 'localhost'));
    const target = front.url;
    const attempts = await evil.evaluate(async (api) => {
      const results: string[] = [];
      for (const path of ['/api/auth/refresh', '/api/auth/logout']) {
        // With the header cookie mode needs: a preflight, which the service refuses for this origin.
        try {
          const res = await fetch(`${api}${path}`, { method: 'POST', credentials: 'include', headers: { 'X-Token-Transport': 'cookie', 'Content-Type': 'application/json' }, body: '{}' });
          results.push(`${path} answered ${res.status}`);
        } catch {
          results.push(`${path} blocked`);
        }
        // Without it (a form-like simple request): sent, but SameSite=Strict keeps the cookie off it.
        await fetch(`${api}${path}`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: 'x' }).catch(() => undefined);
      }
      return results;
    }, target);
    expect(attempts).toEqual(['/api/auth/refresh blocked', '/api/auth/logout blocked']);
    // Through the library as well: refused, and nothing to sign out of.
    const viaClient = await evil.evaluate(async ([api, module]) => {
      const { createClient } = (await import(module)) as typeof import('@tessera/client');
      return createClient({ issuer: api, storage: 'cookie' })
        .refresh()
        .then(
          () => 'refreshed',
          (error: { kind: string }) => error.kind,
        );
    }, [target, '/client.js']);
    expect(viaClient).toBe('unavailable');

    // Only the no-cors POSTs (without the cookie) reached the service; nothing was refreshed or ended.
    expect(front.count('/api/auth/refresh', 'POST') - posts.refresh).toBe(1);
    expect(front.count('/api/auth/logout', 'POST') - posts.logout).toBe(1);
    expect(await refreshesOf(account.user.id)).toBe(before);
    expect(await app.evaluate(() => (window as unknown as TestWindow).client.refresh().then(() => 'ok'))).toBe('ok');
    expect(await status(app, '/api/auth/me')).toBe(200);
    expect((await eventsOf(app)).filter((e) => e.type === 'logout')).toEqual([]);
  });
});
