import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** What the proxy does with a request instead of forwarding it (a fault to inject). */
export type ProxyRule = { path: string; status: number; times: number; body?: Record<string, unknown> };

/** A page the server answers itself (a test page, a script), by path. */
export type StaticPage = { contentType: string; body: () => string | Buffer };

export interface CountingProxy {
  url: string;
  /** Requests seen per path (query string left out), of one method or all, whether forwarded or answered by a rule. */
  count(path: string, method?: string): number;
  /** Where the requests that are not pages go (the service; settable because the service may start after the proxy). */
  forwardTo(target: string): void;
  /** Answer `status` (in the SPEC's error shape) instead of forwarding, the next `times` requests to `path`. */
  fail(rule: ProxyRule): void;
  close(): Promise<void>;
}

/**
 * A tiny HTTP proxy on 127.0.0.1 in front of the real service: it counts the requests that
 * reach each path and can answer a fault (a 503 from an overloaded gateway, a resource server's
 * 401) in their place. It also serves a few static pages (a browser test page on the same origin
 * as the API, as a reverse proxy would). Everything else goes to the service untouched, headers
 * (Origin, Cookie, Set-Cookie) and body included.
 */
export async function startCountingProxy(target?: string, pages: Record<string, StaticPage> = {}): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const rules: ProxyRule[] = [];
  let upstream = target ? new URL(target) : null;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const key = `${req.method} ${path}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const page = pages[path];
    if (page && req.method === 'GET') {
      res.writeHead(200, { 'content-type': page.contentType, 'cache-control': 'no-store' });
      res.end(page.body());
      return;
    }
    const rule = rules.find((r) => r.path === path && r.times > 0);
    if (rule) {
      rule.times -= 1;
      req.resume();
      res.writeHead(rule.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(rule.body ?? { statusCode: rule.status, error: rule.status === 503 ? 'unavailable' : 'unauthorized', message: 'injected by the test proxy' }));
      return;
    }
    if (!upstream) {
      res.writeHead(502);
      res.end();
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: (path, method) =>
      method ? (counts.get(`${method} ${path}`) ?? 0) : [...counts].filter(([key]) => key.endsWith(` ${path}`)).reduce((sum, [, n]) => sum + n, 0),
    forwardTo: (next) => {
      upstream = new URL(next);
    },
    fail: (rule) => void rules.push({ ...rule }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
