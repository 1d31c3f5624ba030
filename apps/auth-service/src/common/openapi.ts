import { applyDecorators } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiResponse, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { ErrorResponseDto } from './dto/error-response.dto';

const ERROR_MEANINGS: Record<number, string> = {
  400: 'validation_failed or invalid_json',
  401: 'unauthorized, invalid_credentials or invalid_grant',
  403: 'forbidden',
  404: 'not_found',
  409: 'email_taken',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited or account_locked (with Retry-After)',
  503: 'unavailable: the database does not answer',
};

/** The error answers a route can give, each in the one error shape of SPEC §2. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, description: ERROR_MEANINGS[status], type: ErrorResponseDto })));
}

/** GET /docs (Swagger UI) and GET /docs/json (OpenAPI 3), generated from the controllers and DTO classes. */
export function setupOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Tessera')
    .setDescription('Identity service: JWT access tokens, rotating refresh tokens, JWKS. Every error has the shape of ErrorResponseDto.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token' })
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: 'METRICS_TOKEN, when it is set' }, 'metrics')
    .addGlobalResponse(
      { status: 500, description: 'internal_error', type: ErrorResponseDto },
      { status: 503, description: ERROR_MEANINGS[503], type: ErrorResponseDto },
    )
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'docs/json',
    raw: ['json'],
    // The standalone layout's top bar draws a logo whose SVG injects an inline <style>, which the CSP
    // below refuses; the base layout has everything else (operations, models, Authorize).
    swaggerOptions: { layout: 'BaseLayout' },
  });
  registerDocsSecurityPolicy(app.getHttpAdapter().getInstance());
}

/**
 * The API's CSP forbids everything (app.factory.ts); the UI under /docs gets one that allows its own
 * scripts and styles and nothing more: scripts from this origin only, and of inline styles exactly
 * those in the page served (by hash), no 'unsafe-inline'.
 */
function registerDocsSecurityPolicy(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const path = request.url.split('?')[0];
    if (path === '/docs' || path.startsWith('/docs/')) reply.header('content-security-policy', docsPolicy(typeof payload === 'string' ? payload : ''));
    done(null, payload);
  });
}

function docsPolicy(html: string): string {
  const inline = [...html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g), ...html.matchAll(/\sstyle="([^"]*)"/g)].map((m) => m[1]);
  const hashes = [...new Set(inline)].map((css) => `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`);
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self'${hashes.length > 0 ? ` 'unsafe-hashes' ${hashes.join(' ')}` : ''}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
