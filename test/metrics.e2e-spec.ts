import { RunningService, startAuthService } from './support/auth-service';
import { newSession, refresh } from './support/flows';
import { call, STRONG_PASSWORD } from './support/http';
import { usingPostgres } from './support/test-env';

/** The value of one sample (`name{labels}`, labels as the exposition writes them), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string, token?: string): Promise<string> {
  const res = await call(url, 'GET', '/metrics', { token });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
}

describe('GET /metrics, open (METRICS_TOKEN unset) (SPEC §2 Operations)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService({ REFRESH_REUSE_GRACE: '0' });
  });
  afterAll(() => service?.close());

  it('counts logins, refreshes and reuse detections by outcome', async () => {
    const before = await scrape(service.url);
    const count = (text: string, series: string) => sample(text, series) ?? 0;

    const session = await newSession(service.url, 'metrics');
    const failed = await call(service.url, 'POST', '/api/auth/login', { json: { email: session.email, password: `${STRONG_PASSWORD}!` } });
    expect(failed.status).toBe(401);
    const rotated = await refresh(service.url, session.refresh_token);
    expect(rotated.status).toBe(200);
    const reused = await refresh(service.url, session.refresh_token);
    expect(reused.body.reason).toBe('reused');

    const after = await scrape(service.url);
    for (const [series, delta] of [
      ['tessera_logins_total{outcome="success"}', 1],
      ['tessera_logins_total{outcome="invalid_credentials"}', 1],
      ['tessera_refreshes_total{outcome="success"}', 1],
      ['tessera_refreshes_total{outcome="reused"}', 1],
      ['tessera_refresh_reuse_detected_total', 1],
    ] as const) {
      expect([series, count(after, series) - count(before, series)]).toEqual([series, delta]);
    }
  });

  it('times requests by route pattern and status, never by raw URL', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    await call(service.url, 'GET', `/api/admin/users/${id}?x=${Date.now()}`);
    await call(service.url, 'GET', `/no/such/route/${Date.now()}`);
    const text = await scrape(service.url);
    expect(sample(text, 'tessera_http_request_duration_seconds_count{method="GET",route="/api/admin/users/:id",status_code="401"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tessera_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}')).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(id);
    expect(text).not.toContain('/no/such/route');
  });

  it('reports the keys, the security log, the database pool and Redis when scraped', async () => {
    // Give the background writer and the sealer (every 1 s) time to catch up on the events above.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const text = await scrape(service.url);
    expect(sample(text, 'tessera_signing_key_active_age_seconds')).toBeGreaterThan(0);
    expect(sample(text, 'tessera_signing_key_next_lead_seconds')).toBeGreaterThanOrEqual(0);
    const [{ max }] = await service.dataSource.query(`SELECT max(seq) AS max FROM security_log_links`);
    expect(sample(text, 'tessera_security_log_sealed_seq')).toBeGreaterThanOrEqual(Number(max));
    expect(Number(max)).toBeGreaterThan(0);
    expect(sample(text, 'tessera_security_log_unsealed_rows')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'tessera_security_log_sealing_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'tessera_security_log_buffer_depth')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'tessera_security_log_buffer_dropped')).toBe(0);
    expect(sample(text, 'tessera_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tessera_db_pool_connections{state="idle"}')).toBeLessThanOrEqual(sample(text, 'tessera_db_pool_connections{state="total"}') as number);
    expect(sample(text, 'tessera_db_pool_connections{state="waiting"}')).toBeGreaterThanOrEqual(0);
    // No REDIS_URL: no Redis gauge rather than a misleading 0.
    expect(text).not.toMatch(/^tessera_redis_up /m);
    expect(text).toMatch(/^# TYPE tessera_lockouts_total counter$/m);
    expect(text).toMatch(/^# TYPE tessera_rate_limited_total counter$/m);
  });
});

describe('GET /metrics with METRICS_TOKEN set (SPEC §1)', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService({ METRICS_TOKEN: TOKEN });
  });
  afterAll(() => service?.close());

  it('answers 401 in the SPEC shape without the token or with a wrong one, and the metrics with it', async () => {
    const none = await call(service.url, 'GET', '/metrics');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ statusCode: 401, error: 'unauthorized', message: expect.any(String), request_id: expect.any(String) });
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    for (const wrong of [`${TOKEN}x`, TOKEN.slice(0, -1), 'x']) {
      const res = await call(service.url, 'GET', '/metrics', { token: wrong });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('unauthorized');
      expect(res.text).not.toContain('tessera_');
    }
    const basic = await call(service.url, 'GET', '/metrics', { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
    expect(await scrape(service.url, TOKEN)).toMatch(/^tessera_http_request_duration_seconds_count/m);
  });
});

const withRedis = Boolean(process.env.TEST_REDIS_URL) && usingPostgres();

describe('GET /metrics with Redis', () => {
  (withRedis ? it : it.skip)('(needs TEST_DATABASE_URL and TEST_REDIS_URL) reports Redis up', async () => {
    const service = await startAuthService({ REDIS_URL: process.env.TEST_REDIS_URL as string });
    try {
      expect(sample(await scrape(service.url), 'tessera_redis_up')).toBe(1);
    } finally {
      await service.close();
    }
  });
});
