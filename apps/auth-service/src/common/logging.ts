import { LogLevel } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Params } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
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

/** The log formatter: every member, at any depth, with secret-named fields redacted (the request line has its own, see registerRequestLog). */
function redactLogObject(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object)) out[key] = SECRET_KEY.test(key) ? REDACTED : redactSecrets(object[key], 1);
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
 * nestjs-pino's logger for Nest (`AppLogger`) over the root logger, without its per-request
 * middleware (no routes): that middleware (pino-http, a child logger per request, and an
 * AsyncLocalStorage whose promise hooks then run for every promise of the process, mounted through
 * Nest's middleware layer) cost about a quarter of a `GET /api/auth/me`'s CPU and a tenth of a
 * refresh's (measured, A/B). The request line is written by `registerRequestLog` instead.
 */
export function loggingParams(root: Pino): Params {
  return { pinoHttp: { logger: root }, forRoutes: [] };
}

/** What one request line says (README, "Logs"): never a body, a header or a query string, where tokens travel. */
export interface RequestLine {
  request_id: string;
  req: { method: string; path: string; remote_address: string | undefined };
  /** Absent when the client went away before the answer. */
  res?: { status_code: number };
  duration_ms?: number;
}

function requestLine(request: FastifyRequest, reply?: FastifyReply): RequestLine {
  const line: RequestLine = { request_id: String(request.id), req: { method: request.method, path: request.url.split('?')[0], remote_address: request.raw.socket?.remoteAddress } };
  if (reply) {
    line.res = { status_code: reply.statusCode };
    line.duration_ms = Math.round(reply.elapsedTime * 1000) / 1000;
  }
  return line;
}

/**
 * One line per request once its answer is sent (`request completed`), or once the client went away
 * before it (`request aborted`, `warn`): method, path without the query string, the peer's address,
 * status and time. A 5xx line is `warn`: its cause is logged once, with its stack and this request
 * id, by the exception filter. Fastify's own hooks: nothing per request beyond the line itself.
 */
export function registerRequestLog(fastify: FastifyInstance, root: Pino): void {
  // The line is built here from known fields, none a secret: it skips the redaction every other
  // line goes through (the formatter's walk and pino's paths), the larger part of its cost.
  const lines = root.child({}, { formatters: { log: (object: object) => object }, redact: { paths: [] } });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode >= 500) lines.warn(requestLine(request, reply), 'request completed');
    else lines.info(requestLine(request, reply), 'request completed');
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    lines.warn(requestLine(request), 'request aborted');
    done();
  });
}
