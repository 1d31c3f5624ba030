import { request } from 'node:http';
import { randomInt } from 'node:crypto';
import { JsonResponse } from './http';

/**
 * Distinct client addresses for one test: loopback addresses in 127.0.0.0/8 (any of them reaches a
 * server on 127.0.0.1 on Linux), chosen at random so that runs sharing a Redis do not share counters.
 */
export function clientAddresses(count: number): string[] {
  const base = randomInt(1, 250);
  const second = randomInt(0, 256);
  return Array.from({ length: count }, (_, i) => `127.${base}.${second}.${i + 2}`);
}

/** One JSON call whose TCP connection comes from `localAddress` (so the service sees that client IP). */
export function callFrom<T = Record<string, unknown>>(
  localAddress: string,
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { method, headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: parsed as T, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
