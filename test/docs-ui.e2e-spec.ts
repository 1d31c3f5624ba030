import { existsSync } from 'node:fs';
import { Browser, chromium } from 'playwright-core';
import { RunningService, startAuthService } from './support/auth-service';

const CHROMIUM = '/usr/bin/chromium';

describe('API docs UI (GET /docs)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService();
  });
  afterAll(() => service?.close());

  (existsSync(CHROMIUM) ? it : it.skip)('(needs /usr/bin/chromium) renders the operations from /docs/json with no CSP violation', async () => {
    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const problems: string[] = [];
    try {
      const context = await browser.newContext();
      // CSP violations seen from inside the page (init scripts come through the debugging protocol, not the page's CSP).
      await context.addInitScript(() => {
        const w = window as unknown as { __csp: string[] };
        w.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${e.sample}`));
      });
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
      await page.goto(`${service.url}/docs`);
      // Swagger UI renders one block per operation once it has loaded the document.
      await page.locator('.opblock-summary-path[data-path="/api/auth/login"]').first().waitFor({ timeout: 20000 });
      const paths = await page.locator('.opblock-summary-path').evaluateAll((els) => els.map((el) => el.getAttribute('data-path')));
      expect(paths).toEqual(expect.arrayContaining(['/api/auth/login', '/api/auth/refresh', '/api/admin/users/{id}', '/metrics', '/health/ready']));
      // Opening an operation shows its error answers in the shared shape.
      await page.locator('.opblock-summary-path[data-path="/api/auth/login"]').first().click();
      await page.locator('.opblock-body .responses-table').first().waitFor();
      const body = await page.locator('.opblock-body').first().innerText();
      for (const text of ['401', 'invalid_credentials', 'request_id', 'access_token']) expect(body).toContain(text);
      expect(await page.locator('.scheme-container .authorize, button.authorize').count()).toBeGreaterThan(0);
      const violations = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
      expect(violations).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
