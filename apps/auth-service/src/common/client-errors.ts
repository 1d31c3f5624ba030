import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorBody } from './app-error';

/**
 * Requests that Node's HTTP parser refuses before Fastify sees them (a raw non-ASCII byte in the
 * path, a header too large, a malformed request line): answered in the SPEC §2 error shape, as
 * every other error, instead of Fastify's default `{"error":"Bad Request","message":"Client Error"}`.
 * Then the connection is closed, as Node and Fastify do: the parser cannot find the next request.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const body = clientErrorBody(error.code);
  if (socket.writable) {
    const text = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${body.statusCode} ${STATUS_CODES[body.statusCode]}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}

export function clientErrorBody(code: string | undefined): ErrorBody {
  if (code === 'HPE_HEADER_OVERFLOW') return { statusCode: 431, error: 'payload_too_large', message: 'Request headers are too large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { statusCode: 408, error: 'validation_failed', message: 'The request was not received in time' };
  return { statusCode: 400, error: 'validation_failed', message: 'Malformed HTTP request' };
}
