import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { mapError } from './error-mapping';
import { TOKEN_ENDPOINT_PATH, toOAuthError } from './oauth-error-shape';

/** The only exception filter: every error leaves in the SPEC §2 shape, never with internals. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<{ method?: string; url?: string; id?: string; raw?: { socket?: { destroyed?: boolean } | null } }>();
    const reply = ctx.getResponse();
    const mapped = mapError(exception);
    const { unexpected } = mapped;
    const { status, body, headers } =
      request?.url?.split('?')[0] === TOKEN_ENDPOINT_PATH ? toOAuthError(mapped) : { status: mapped.body.statusCode, body: mapped.body, headers: mapped.headers };
    // A client that went away mid-request (its body cut short) is the request log's `request aborted`, not an error of ours.
    if (unexpected && request?.raw?.socket?.destroyed !== true) {
      // The request's id as a field, like its request line's (common/logging.ts), and the error with its stack.
      this.logger.error({
        msg: `${request?.method} ${request?.url?.split('?')[0]} failed (request ${request?.id}): ${describe(exception)}`,
        request_id: request?.id,
        err: exception instanceof Error ? exception : undefined,
      });
    }
    for (const [name, value] of Object.entries(headers)) httpAdapter.setHeader(reply, name, value);
    // The id of the request's log lines and security events (X-Request-Id), for support requests.
    if (request?.id) (body as { request_id?: string }).request_id = String(request.id);
    httpAdapter.reply(reply, body, status);
  }
}

function describe(exception: unknown): string {
  return exception instanceof Error ? `${exception.name}: ${exception.message}` : String(exception);
}
