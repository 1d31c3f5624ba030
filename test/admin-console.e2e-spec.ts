import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyReply } from 'fastify';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { CONSOLE_CSP, ConsoleController } from '../apps/auth-service/src/admin/console.controller';
import { mapError } from '../apps/auth-service/src/common/error-mapping';
import { SecurityLogService } from '../apps/auth-service/src/security-log/security-log.service';
import { RunningService, startAuthService } from './support/auth-service';
import { CountingProxy, startCountingProxy } from './support/counting-proxy';
import { login, newSession, refresh } from './support/flows';
import { call } from './support/http';

const ADMIN = { BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'admin pass phrase 1' };
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT_DIR = join(__dirname, '..', 'test-output');
const EXPECTED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Background-batched events (failures, admin reads) are written within a few hundred ms: flush them now. */
function settle(service: RunningService): Promise<void> {
  return service.app.get(SecurityLogService).flush();
}

describe('admin console (GET /admin)', () => {
  let service: RunningService;
  /** The service's public face (a reverse proxy on 127.0.0.1): JWT_ISSUER names it, so the console's origin is the issuer's, as in production. */
  let front: CountingProxy;
  beforeAll(async () => {
    if (!existsSync(join(__dirname, '..', 'dist', 'console', 'index.html'))) {
      throw new Error('dist/console is missing: run `npm run build` before the e2e tests');
    }
    front = await startCountingProxy();
    service = await startAuthService({ ...ADMIN, RATE_LIMIT_LOGIN: '1000', RATE_LIMIT_REGISTER: '0', JWT_ISSUER: front.url });
    front.forwardTo(service.url);
  });
  afterAll(async () => {
    await front?.close();
    await service?.close();
  });

  describe('over plain HTTP', () => {
    it('serves the page with its own strict CSP, no inline script or style, and no-cache', async () => {
      const res = await fetch(`${service.url}/admin`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      // One policy only: the console's, in place of the API's `default-src 'none'`.
      expect(res.headers.get('content-security-policy')).toBe(EXPECTED_CSP);
      expect(CONSOLE_CSP).toBe(EXPECTED_CSP);
      const html = await res.text();
      const scripts = html.match(/<script\b[^>]*>/gi) ?? [];
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag).toMatch(/\ssrc="\/admin\/assets\/[a-z0-9-]+\.js"/);
      expect(html).not.toMatch(/<script\b[^>]*>\s*[^<\s]/i); // nothing between <script> and </script>
      expect(html).not.toMatch(/\sstyle\s*=/i);
      expect(html).not.toMatch(/<style\b/i);
      expect(html).not.toMatch(/\son[a-z]+\s*=/i); // no inline event handlers
    });

    it('serves the built modules and stylesheet with their types, and nothing else', async () => {
      const js = await fetch(`${service.url}/admin/assets/main.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(js.headers.get('content-security-policy')).toBe(EXPECTED_CSP);
      // One bundle (esbuild): the console, @tessera/client and the shared event list, importing nothing else.
    const bundle = await js.text();
    expect(bundle).not.toMatch(/^\s*import\s/m);
    expect(bundle).toContain('X-Token-Transport');
    expect(bundle).toContain('refresh_token_reuse_detected');
      const css = await fetch(`${service.url}/admin/assets/styles.css`);
      expect(css.status).toBe(200);
      expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
      for (const path of [
        '/admin/assets/index.html',
        '/admin/assets/missing.js',
        '/admin/assets/..%2F..%2Fpackage.json',
        '/admin/assets/%2E%2E%2Fmain.js',
        '/admin/assets/Main.js',
        '/admin/assets/main.js.map',
      ]) {
        const res = await call(service.url, 'GET', path);
        expect({ path, status: res.status, error: res.body?.error }).toEqual({ path, status: 404, error: 'not_found' });
      }
    });

    it('answers 503 in the error shape when the console is not built', async () => {
      const controller = new ConsoleController();
      Reflect.set(controller, 'dir', join(__dirname, 'no-such-console-dir'));
      const reply = {} as FastifyReply;
      const expected = { statusCode: 503, error: 'unavailable', message: 'The admin console is not built: run npm run build' };
      for (const attempt of [() => controller.page(reply), () => controller.asset('main.js', reply)]) {
        const error = await attempt().then(
          () => null,
          (e: unknown) => e,
        );
        expect(mapError(error).body).toEqual(expected);
      }
    });
  });

  (existsSync(CHROMIUM) ? it : it.skip)(
    '(needs /usr/bin/chromium) signs in, filters, pages, opens a user, revokes their sessions, verifies the chain and exports',
    async () => {
      // Traffic first, so that the table has rows: a dozen users sign up and in; the target signs
      // in twice (two sessions) and fails a login once.
      for (let i = 0; i < 12; i++) await newSession(service.url, 'crowd');
      const target = await newSession(service.url, 'target');
      const second = await login(service.url, target.email, 'second-device/1.0');
      const failed = await call(service.url, 'POST', '/api/auth/login', { json: { email: target.email, password: 'not the password 42' } });
      expect(failed.status).toBe(401);
      await settle(service);

      const browser: Browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const errors: string[] = [];
      try {
        const context: BrowserContext = await browser.newContext({ acceptDownloads: true, viewport: { width: 1440, height: 900 } });
        // Collects CSP violations from inside the page (init scripts come through the debugging protocol, not the page's CSP).
        await context.addInitScript(() => {
          const w = window as unknown as { __csp: string[] };
          w.__csp = [];
          document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
        });
        const page: Page = await context.newPage();
        page.on('console', (message) => {
          if (message.type() === 'error') errors.push(`console: ${message.text()}`);
        });
        page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
        const rows = page.locator('#events-body tr[data-type]');
        const types = () => rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.type));
        const ids = () => rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.id));

        // Sign in with the keyboard: Enter submits.
        // No cookie yet: the page asks once whether a session exists (one refresh, refused with
        // 401, which Chromium reports on the console), then shows the sign-in form.
        const firstRefresh = page.waitForResponse((r) => r.url().endsWith('/api/auth/refresh'));
        await page.goto(`${front.url}/admin`);
        expect((await firstRefresh).status()).toBe(401);
        await page.locator('#login-form').waitFor();
        expect(front.count('/api/auth/refresh', 'POST')).toBe(1);
        expect(errors.splice(0)).toEqual(['console: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
        await page.getByLabel('Email', { exact: true }).fill(ADMIN.BOOTSTRAP_ADMIN_EMAIL);
        await page.getByLabel('Password', { exact: true }).fill(ADMIN.BOOTSTRAP_ADMIN_PASSWORD);
        await page.getByLabel('Password', { exact: true }).press('Enter');
        await page.locator('#whoami', { hasText: ADMIN.BOOTSTRAP_ADMIN_EMAIL }).waitFor();
        await page.locator('#events-body tr[data-type="login_success"]').first().waitFor();
        // No token in the URL, ever.
        expect(page.url()).toBe(`${front.url}/admin`);
        // Cookie mode: the refresh token is in an HttpOnly cookie, out of every script's reach.
        expect(await page.evaluate(() => [document.cookie, localStorage.length, sessionStorage.length])).toEqual(['', 0, 0]);
        expect((await context.cookies()).map((c) => [c.name, c.httpOnly, c.sameSite, c.path])).toEqual([['tessera_refresh', true, 'Strict', '/api/auth']]);

        // The chain verifies.
        await page.locator('#chain.chain-ok').waitFor();
        expect(await page.locator('#chain-text').textContent()).toMatch(/^Chain verified · \d+ events?$/);

        // Filter by event type: only login failures.
        await page.getByLabel('login_failure', { exact: true }).check();
        await page.getByRole('button', { name: 'Apply filters' }).click();
        await page.waitForFunction(() => {
          const trs = Array.from(document.querySelectorAll<HTMLElement>('#events-body tr[data-type]'));
          return trs.length > 0 && trs.every((tr) => tr.dataset.type === 'login_failure');
        });
        expect(new Set(await types())).toEqual(new Set(['login_failure']));
        expect(await page.locator('#events-body').textContent()).toContain(target.email);
        expect(await page.locator('#types-summary').textContent()).toBe('(1 selected)');

        // IP and time range: another address, or a window in the future, match nothing.
        const empty = page.locator('#events-body tr.placeholder', { hasText: 'No events match these filters.' });
        await page.getByLabel('IP address').fill('10.9.9.9');
        await page.getByLabel('IP address').press('Enter');
        await empty.waitFor();
        await page.getByLabel('IP address').fill('127.0.0.1');
        await page.getByLabel('From', { exact: true }).fill('2099-01-01T00:00:00');
        await page.getByRole('button', { name: 'Apply filters' }).click();
        await empty.waitFor();
        await page.getByLabel('From', { exact: true }).fill('2000-01-01T00:00:00');
        await page.getByRole('button', { name: 'Apply filters' }).click();
        await page.locator('#events-body tr[data-type="login_failure"]').first().waitFor();

        // Pages of 10 sign-ins: Next shows the next 10, Previous the first ones again.
        await page.getByRole('button', { name: 'Reset' }).click();
        await page.getByLabel('login_success', { exact: true }).check();
        await page.getByLabel('Rows per page').selectOption('10');
        await page.getByRole('button', { name: 'Apply filters' }).click();
        await page.waitForFunction(() => {
          const trs = Array.from(document.querySelectorAll<HTMLElement>('#events-body tr[data-type]'));
          return trs.length === 10 && trs.every((tr) => tr.dataset.type === 'login_success');
        });
        const first = await ids();
        await page.getByRole('button', { name: 'Next →' }).click();
        await page.waitForFunction((before) => {
          const now = Array.from(document.querySelectorAll<HTMLElement>('#events-body tr[data-type]'), (tr) => tr.dataset.id);
          return now.length > 0 && !now.includes(before[0]);
        }, first);
        const secondPage = await ids();
        expect(secondPage.length).toBeGreaterThanOrEqual(5); // 15 sign-ins in all
        expect(secondPage.filter((id) => first.includes(id))).toEqual([]);
        expect(new Set(await types())).toEqual(new Set(['login_success']));
        expect(await page.locator('#page-number').textContent()).toBe('Page 2');
        // Newest first: every id on page 2 is older than those on page 1.
        expect(Math.max(...secondPage.map(Number))).toBeLessThan(Math.min(...first.map(Number)));
        await page.getByRole('button', { name: '← Previous' }).click();
        await page.waitForFunction((before) => {
          const now = Array.from(document.querySelectorAll<HTMLElement>('#events-body tr[data-type]'), (tr) => tr.dataset.id);
          return now.join() === before.join();
        }, first);
        expect(await page.getByRole('button', { name: '← Previous' }).isDisabled()).toBe(true);

        // Filter by identifier (Enter submits), then open the user from the table.
        await page.getByRole('button', { name: 'Reset' }).click();
        await page.getByLabel('Identifier').fill(target.email);
        await page.getByLabel('Identifier').press('Enter');
        await page.waitForFunction(() => document.querySelectorAll('#events-body tr[data-type="login_failure"]').length === 1);
        expect(new Set(await types())).toEqual(new Set(['user_registered', 'login_success', 'login_failure']));
        await page.locator('#events-body tr[data-type="login_success"] td.col-user button', { hasText: target.email }).first().click();
        await page.locator('#user-title', { hasText: target.email }).waitFor();
        expect(await page.locator('#user-status').textContent()).toBe('Active');
        expect(await page.locator('#sessions li').count()).toBe(2);
        expect(await page.locator('#sessions').textContent()).toContain('second-device/1.0');

        // The user's own events, for the screenshot.
        await page.getByRole('button', { name: 'Show events' }).click();
        await page.waitForFunction(
          (id) => (document.getElementById('f-user') as HTMLInputElement).value === id && document.querySelectorAll('#events-body tr[data-type="login_success"]').length === 2,
          target.user.id,
        );
        // Nothing on the page carries an inline style or an inline script (checked before the
        // screenshot: Playwright's caret hiding leaves empty style attributes on inputs). The chart
        // library positions its layers through the CSSOM (element.style), which `style-src 'self'`
        // allows (no violation is reported, see below): those are the only styles set, inside the chart.
        expect(await page.locator('[style]:not(#timeline-chart *)').evaluateAll((els) => els.map((e) => e.outerHTML.slice(0, 120)))).toEqual([]);
        expect(await page.locator('#timeline-chart [style]').count()).toBeGreaterThan(0);
        expect(await page.locator('script:not([src])').count()).toBe(0);
        mkdirSync(SCREENSHOT_DIR, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-console.png'), fullPage: true });

        // Revoke the sessions, through the confirmation dialog (keyboard: the dialog opens on Cancel).
        await page.getByRole('button', { name: 'Revoke all sessions' }).click();
        const dialog = page.getByRole('dialog', { name: 'Revoke all sessions?' });
        await dialog.waitFor();
        await dialog.getByRole('button', { name: 'Revoke sessions' }).click();
        await page.locator('#no-sessions').waitFor();
        expect(await page.locator('#user-message').textContent()).toBe('All sessions revoked.');

        // Both refresh tokens are dead now.
        for (const refreshToken of [target.refresh_token, second.refresh_token]) {
          const res = await refresh(service.url, refreshToken);
          expect(res.status).toBe(401);
          expect(res.body).toMatchObject({ error: 'invalid_grant', reason: 'revoked' });
        }
        // ...and the table (filtered on that user) shows the revocations.
        await settle(service);
        await page.getByRole('button', { name: 'Refresh', exact: true }).click();
        await page.waitForFunction(() => document.querySelectorAll('#events-body tr[data-type="session_revoked"]').length === 2);

        // Export (fetch + Blob + object URL): a CSV of this user's events.
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
        expect(download.suggestedFilename()).toBe('security-logs.csv');
        const csv = readFileSync(await download.path(), 'utf8').trim().split('\r\n');
        expect(csv[0]).toBe('id,created_at,event_type,user_id,identifier,ip,user_agent,session_id,request_id,details');
        expect(csv.slice(1).every((line) => line.includes(target.user.id))).toBe(true);
        expect(csv.filter((line) => line.includes(',session_revoked,'))).toHaveLength(2);

        // The chain still verifies after all that.
        await settle(service);
        await page.getByRole('button', { name: 'Re-check' }).click();
        await page.locator('#chain.chain-ok').waitFor();

        // A reload: the access token lived in memory only, so the two calls of the page (events,
        // verify) wait for ONE refresh through the cookie (refresh tokens rotate: two would look
        // like reuse) and then both succeed.
        expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
        const adminLogin = await call<{ access_token: string; user: { id: string } }>(service.url, 'POST', '/api/auth/login', {
          json: { email: ADMIN.BOOTSTRAP_ADMIN_EMAIL, password: ADMIN.BOOTSTRAP_ADMIN_PASSWORD },
        });
        const adminId = adminLogin.body.user.id;
        const refreshesBefore = front.count('/api/auth/refresh', 'POST');
        const before = errors.length;
        await page.reload();
        await page.locator('#events-body tr[data-type]').first().waitFor();
        await page.locator('#chain.chain-ok').waitFor();
        expect(errors.splice(before)).toEqual([]);
        expect(front.count('/api/auth/refresh', 'POST') - refreshesBefore).toBe(1);
        await settle(service);
        const audit = await call<{ items: { event_type: string }[] }>(
          service.url,
          'GET',
          `/api/admin/security-logs?user_id=${adminId}&event_type=token_refreshed&event_type=refresh_token_reuse_detected&event_type=refresh_failed`,
          { token: adminLogin.body.access_token },
        );
        expect(audit.body.items.map((i) => i.event_type)).toEqual(['token_refreshed']);

        // Sign out; a non-admin cannot get in.
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.locator('#login-form').waitFor();
        expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
        expect((await context.cookies()).filter((c) => c.name === 'tessera_refresh')).toEqual([]);
        const plain = await newSession(service.url, 'plain');
        await page.getByLabel('Email', { exact: true }).fill(plain.email);
        await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple 42');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('#login-error', { hasText: 'This account is not an admin' }).waitFor();
        expect(await page.locator('#app-view').isHidden()).toBe(true);

        expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
        expect(errors).toEqual([]);

        // Opened at the service's own address rather than the issuer's (127.0.0.1 for localhost,
        // as after `npm start`), the console works too: its requests are same-origin.
        const other = await context.newPage();
        await other.goto(`${service.url}/admin`);
        await other.getByLabel('Email', { exact: true }).fill(ADMIN.BOOTSTRAP_ADMIN_EMAIL);
        await other.getByLabel('Password', { exact: true }).fill(ADMIN.BOOTSTRAP_ADMIN_PASSWORD);
        await other.getByRole('button', { name: 'Sign in' }).click();
        await other.locator('#app-view').waitFor();
        await context.close();
      } finally {
        await browser.close();
      }
    },
    180_000,
  );

  (existsSync(CHROMIUM) ? it : it.skip)(
    '(needs /usr/bin/chromium) draws the timeline of failed logins and rate limits above the table, under the CSP, with a text alternative and keyboard controls',
    async () => {
      const victim = await newSession(service.url, 'timeline');
      for (let i = 0; i < 3; i++) {
        expect((await call(service.url, 'POST', '/api/auth/login', { json: { email: victim.email, password: `not the password ${i}!` } })).status).toBe(401);
      }
      const logs = service.app.get(SecurityLogService);
      for (let i = 0; i < 6; i++) logs.enqueueAggregated({ type: 'rate_limited', details: { route: 'login' } }, { requestId: null, ip: '198.51.100.7', userAgent: null });
      await logs.flushAll(); // one aggregated row, details.count = 6
      const stored: { type: string; n: string }[] = await service.dataSource.query(
        `SELECT event_type AS type, sum(weight)::text AS n FROM security_logs
          WHERE event_type IN ('login_failure', 'account_locked', 'rate_limited', 'refresh_token_reuse_detected') AND created_at > now() - interval '1 hour'
          GROUP BY event_type`,
      );
      const expected = Object.fromEntries(['login_failure', 'account_locked', 'rate_limited', 'refresh_token_reuse_detected'].map((t) => [t, Number(stored.find((r) => r.type === t)?.n ?? 0)]));
      expect(expected.login_failure).toBeGreaterThanOrEqual(3);
      expect(expected.rate_limited).toBeGreaterThanOrEqual(6);

      const browser: Browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const errors: string[] = [];
      try {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        await context.addInitScript(() => {
          const w = window as unknown as { __csp: string[] };
          w.__csp = [];
          document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
        });
        const page = await context.newPage();
        page.on('console', (message) => {
          if (message.type() === 'error') errors.push(`console: ${message.text()}`);
        });
        page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
        await page.goto(`${front.url}/admin`);
        await page.locator('#login-form').waitFor();
        await page.getByLabel('Email', { exact: true }).fill(ADMIN.BOOTSTRAP_ADMIN_EMAIL);
        await page.getByLabel('Password', { exact: true }).fill(ADMIN.BOOTSTRAP_ADMIN_PASSWORD);
        await page.getByLabel('Password', { exact: true }).press('Enter');

        // The chart: uPlot's canvas, above the table, with the four series and the totals of the last hour.
        const chart = page.locator('#timeline-chart');
        await page.locator('#timeline-chart canvas').first().waitFor();
        expect(await chart.getAttribute('data-bucket')).toBe('hour');
        const totals = async () => Object.fromEntries(((await chart.getAttribute('data-totals')) ?? '').split(',').map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])]));
        expect(await totals()).toEqual(expected);
        const above = await page.evaluate(() => {
          const t = document.getElementById('timeline-chart')!.getBoundingClientRect();
          const e = document.getElementById('events-table')!.getBoundingClientRect();
          return t.bottom <= e.top;
        });
        expect(above).toBe(true);
        // The login failures' line is drawn: the canvas holds pixels of its colour (#b42318).
        const redPixels = await page.evaluate(() => {
          const canvas = document.querySelector<HTMLCanvasElement>('#timeline-chart canvas')!;
          const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 0; i < data.length; i += 4) if (data[i] > 150 && data[i + 1] < 80 && data[i + 2] < 80 && data[i + 3] > 200) n++;
          return n;
        });
        expect(redPixels).toBeGreaterThan(0);
        expect(await chart.getAttribute('role')).toBe('img');
        expect(await chart.getAttribute('aria-label')).toContain(`${expected.login_failure} login failures`);
        expect(await page.locator('#timeline-info').textContent()).toContain(`${expected.rate_limited} rate limits`);

        // The text alternative, opened from the keyboard: a table whose columns add up to the same totals.
        await page.locator('.timeline-details summary').focus();
        await page.keyboard.press('Enter');
        await page.locator('#timeline-body tr').first().waitFor();
        const columnSums = await page.locator('#timeline-body tr').evaluateAll((trs) =>
          [1, 2, 3, 4].map((c) => trs.reduce((sum, tr) => sum + Number(tr.children[c]?.textContent ?? 0), 0)),
        );
        expect(columnSums).toEqual([expected.login_failure, expected.account_locked, expected.rate_limited, expected.refresh_token_reuse_detected]);

        // The controls from the keyboard: Tab from the range to the bucket, Arrow keys to choose.
        await page.locator('#timeline-range').focus();
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('timeline-bucket');
        await page.keyboard.press('ArrowUp'); // the last 24 hours per minute: 1,440 buckets
        await page.waitForFunction(() => document.getElementById('timeline-chart')?.dataset.bucket === 'minute');
        expect(await totals()).toEqual(expected);
        expect(await page.locator('#timeline-caption').textContent()).toBe('Events per minute (buckets with none are left out)');
        await page.keyboard.press('Shift+Tab');
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('timeline-range');
        await page.keyboard.press('ArrowDown'); // 7 days per minute: too many buckets, the API's message shows
        await page.locator('#timeline-error', { hasText: 'more than 1440' }).waitFor();
        await page.keyboard.press('ArrowUp'); // back to 24 hours
        // Loaded again, and this time answered (a refusal would have put its message back).
        await page.waitForFunction(() => !document.getElementById('timeline-chart')?.hasAttribute('aria-busy') && document.getElementById('timeline-error')?.textContent === '');
        expect(await totals()).toEqual(expected);

        expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
        // The expected ones: the page's first refresh without a session cookie (401), the refused range (400).
        expect(errors.filter((e) => !/(401 \(Unauthorized\)|400 \(Bad Request\))$/.test(e))).toEqual([]);
        expect(errors.filter((e) => e.endsWith('400 (Bad Request)'))).toHaveLength(1);
        await context.close();
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
