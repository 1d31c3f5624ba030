import { HttpException } from '@nestjs/common';
import { sqlState } from '../database/database-errors';
import { AppError, ErrorBody, ErrorCode } from './app-error';

/** Codes for HttpExceptions that Nest or Fastify raise themselves (routing, body parsing). */
const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  not_found: 'Not found',
  payload_too_large: 'Request body is larger than 16 KiB',
  unsupported_media_type: 'Content-Type must be application/json',
  unavailable: 'Service temporarily unavailable',
  internal_error: 'Internal server error',
};

// Connection-level failures (node errno and PostgreSQL SQLSTATE classes 08 and 57P) mean the
// database is unreachable: 503, so that load balancers retry elsewhere, rather than 500. So do the
// bounds on waiting for it (data-source.ts): a statement the server cancelled (57014), a lock not
// had in time (55P03), a session ended for idling in a transaction (25P03), a query the client abandoned.
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '53300', '57014', '55P03', '25P03']);

export interface MappedError {
  body: ErrorBody;
  headers: Record<string, string>;
  /** true when the error was not expected: log it (the client only sees a generic message). */
  unexpected: boolean;
}

export function mapError(error: unknown): MappedError {
  if (error instanceof AppError) {
    const body: ErrorBody = { statusCode: error.status, error: error.code, message: error.message };
    if (error.details) body.details = error.details;
    Object.assign(body, error.extra);
    return { body, headers: error.headers ?? {}, unexpected: false };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code: ErrorCode = STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
    const message = MESSAGES[code] ?? httpMessage(error);
    const headers: Record<string, string> = code === 'unauthorized' ? { 'WWW-Authenticate': 'Bearer' } : {};
    return { body: { statusCode: status, error: code, message }, headers, unexpected: status >= 500 };
  }
  if (isUnstorableInput(error)) {
    // A safety net: input validation should have refused it (a NUL byte, text that is not UTF-8).
    return { body: { statusCode: 400, error: 'validation_failed', message: 'Request holds characters that cannot be stored' }, headers: {}, unexpected: true };
  }
  if (isUnavailable(error)) {
    return { body: { statusCode: 503, error: 'unavailable', message: MESSAGES.unavailable! }, headers: { 'Retry-After': '5' }, unexpected: true };
  }
  return { body: { statusCode: 500, error: 'internal_error', message: MESSAGES.internal_error! }, headers: {}, unexpected: true };
}

function httpMessage(error: HttpException): string {
  const response = error.getResponse();
  const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  // Nest's own 4xx messages are safe to show; anything unusual becomes a generic line.
  return typeof message === 'string' && message.length < 200 ? message : 'Bad request';
}

/** SQLSTATE 22021 (character not in repertoire, e.g. NUL), 22P05 (untranslatable character). */
function isUnstorableInput(error: unknown): boolean {
  const code = sqlState(error);
  return code === '22021' || code === '22P05';
}

function isUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && /Connection terminated|connection timeout|timeout exceeded when trying to connect|not currently accepting connections|Query read timeout/i.test(message)) return true;
    current = (current as { driverError?: unknown; cause?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}
