import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

const CODES: Record<number, string> = {
  400: 'validation_failed', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'not_found', 413: 'payload_too_large',
  415: 'unsupported_media_type', 429: 'rate_limited', 503: 'unavailable',
};

/**
 * Every error in the SPEC §2 shape `{ statusCode, error, message }`: the verifier's exceptions carry
 * that body and their `WWW-Authenticate` challenge already; anything unexpected is a logged 500.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const reply = host.switchToHttp().getResponse();
    let body: { statusCode: number; error: string; message: string };
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse() as { error?: unknown; message?: unknown } | string;
      const given = typeof response === 'object' ? response : { message: response };
      const error = typeof given.error === 'string' && /^[a-z_]+$/.test(given.error) ? given.error : CODES[statusCode] ?? (statusCode >= 500 ? 'internal_error' : 'validation_failed');
      const message = statusCode === 404 ? 'Not found' : typeof given.message === 'string' ? given.message : 'Request failed';
      body = { statusCode, error, message };
      const headers = (exception as { headers?: Record<string, string> }).headers ?? {};
      for (const [name, value] of Object.entries(headers)) httpAdapter.setHeader(reply, name, value);
    } else {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
      body = { statusCode: 500, error: 'internal_error', message: 'Internal server error' };
    }
    httpAdapter.reply(reply, body, body.statusCode);
  }
}
