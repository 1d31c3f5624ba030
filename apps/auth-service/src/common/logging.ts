import { LogLevel, RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import pino, { Logger as Pino, LoggerOptions } from 'pino';

/** An incoming `X-Request-Id` is taken only in this shape; anything else gets a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Fastify's `genReqId`: the caller's id when it is a sane one (correlation across services), else a UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * Names whose values never reach the log (SPEC §6), at any depth: secrets of every kind end up in
 * fields like these (`refresh_token`, `access_token`, `password`, `new_password`, `authorization`).
 */
const SECRET_KEY = /token|password|secret|authorization|cookie/i;
const REDACTED = '[Redacted]';

/** Deep copy with secret-named fields replaced; only log calls' own objects pass here (small). */
function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 8 || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = SECRET_KEY.test(key) ? REDACTED : redactSecrets(item, depth + 1);
  return out;
}

/**
 * The request line's own objects: the raw request and response, which the `req` and `res`
 * serializers below reduce to a few safe fields. Walking them instead (socket, server, parser…,
 * eight levels deep) cost more than all the rest of a request (a profile of GET /api/auth/me).
 */
const isRawHttp = (value: unknown): boolean => value instanceof IncomingMessage || value instanceof ServerResponse;

/** The log formatter: every member redacted, but the raw request and response (`req`, `res`) left to their serializers. */
function redactLogObject(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object)) {
    const item = object[key];
    out[key] = SECRET_KEY.test(key) ? REDACTED : (key === 'req' || key === 'res') && isRawHttp(item) ? item : redactSecrets(item, 1);
  }
  return out;
}

const PINO_LEVELS: Record<LogLevel, pino.Level> = { verbose: 'trace', debug: 'debug', log: 'info', warn: 'warn', error: 'error', fatal: 'fatal' };
const ORDER: pino.Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function pinoLevel(levels: LogLevel[] | false): pino.LevelWithSilent {
  if (levels === false || levels.length === 0) return 'silent';
  return ORDER.find((level) => levels.some((l) => PINO_LEVELS[l] === level)) ?? 'info';
}

/** Pretty lines only for a person at a terminal, and only where the dev dependency is installed. */
function prettyTransport(): LoggerOptions['transport'] {
  if (!process.stdout.isTTY) return undefined;
  try {
    require.resolve('pino-pretty');
    return { target: 'pino-pretty', options: { singleLine: true } };
  } catch {
    return undefined;
  }
}

/**
 * The process's root logger: JSON lines on stdout, written asynchronously (pino's own destination
 * with `sync: false`): a request never waits for its line to reach the pipe. pino flushes what is
 * still buffered, synchronously, when the process exits (main.ts exits after the drain).
 */
export function createRootLogger(levels: LogLevel[] | false, destination?: pino.DestinationStream): Pino {
  const transport = destination ? undefined : prettyTransport();
  const options: LoggerOptions = {
    level: pinoLevel(levels),
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    // Secret-named members at any depth (the formatter); then, for headers, should a serializer
    // ever let them through, these paths of the serialized request and response.
    formatters: { level: (label) => ({ level: label }), log: redactLogObject },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: REDACTED },
    transport,
  };
  if (transport) return pino(options);
  return pino(options, destination ?? pino.destination({ dest: process.stdout.fd, sync: false }));
}

/**
 * pino-http through nestjs-pino: one line per request (method, path without the query string,
 * status, time) and the request id (Fastify's `request.id`, see app.factory.ts) on every line
 * logged while the request runs. Bodies, headers and query strings are never logged: tokens travel
 * in them (a query string can carry one).
 */
export function loggingParams(root: Pino): Params {
  return {
    pinoHttp: {
      logger: root,
      quietReqLogger: true,
      customAttributeKeys: { reqId: 'request_id', responseTime: 'duration_ms' },
      serializers: {
        req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({ method: req.method, path: req.url?.split('?')[0], remote_address: req.remoteAddress }),
        // The serialized response leaves the status out when pino-http runs as middleware: read it from the raw one.
        res: (res: { statusCode?: number | null; raw?: { statusCode?: number } }) => ({ status_code: res.raw?.statusCode ?? res.statusCode }),
      },
      // The cause of a 5xx is logged once, with its stack, by the exception filter; the request line only says it happened.
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'warn' : 'info'),
      customErrorMessage: () => 'request completed',
      customErrorObject: (_req, _res, _error, line: Record<string, unknown>) => ({ ...line, err: undefined }),
    },
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
  };
}
