import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppModule } from './app.module';
import { AppLogger } from './common/app-logger';
import { clientErrorHandler } from './common/client-errors';
import { corsPolicy } from './common/cors';
import { createRootLogger, loggingParams, registerRequestLog, requestIdOf } from './common/logging';
import { registerBodyParsers, registerFormParser, registerGracefulClose, registerQueryGuard, registerRequestMetrics, registerResponseHeaders, registerSecurityHeaders } from './common/http-setup';
import { AppConfig, TrustProxy } from './config/app-config';
import { registerCookieTransport } from './auth/cookie-transport';
import { setupOpenApi } from './common/openapi';
import { Metrics } from './infra/metrics.service';

/** Bodies over 16 KiB are refused with 413 (SPEC §2). */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface CreateAppOptions {
  logLevels?: LogLevel[] | false;
}

/** Builds (and initialises) the service for one configuration; `listen` is the caller's. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: fastifyTrustProxy(config.http.trustProxy),
    // The request id of every log line, error body and security event (X-Request-Id, echoed).
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => requestIdOf(request.headers['x-request-id']),
    // Errors Fastify raises before routing (a malformed percent-encoding): same shape as the rest.
    frameworkErrors: (_error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      void reply.code(400).header('x-request-id', request.id).send({ statusCode: 400, error: 'validation_failed', message: 'Malformed URL', request_id: request.id });
    },
    // Requests Node's HTTP parser refuses before Fastify sees them: same shape too (found by test/fuzz).
    clientErrorHandler,
    // The service has no Nest middleware, so @fastify/middie (Nest's middleware layer, an onRequest
    // hook on every request) is not registered. A middleware added one day fails at start, not silently.
    skipMiddie: true,
    // A request that reaches the service while it drains (SIGTERM), on a keep-alive connection that
    // was busy when listening stopped, is served: the database stays open until the server has
    // closed, and the answer closes its connection. Fastify's default would refuse it with its own
    // 503 body (not the SPEC's shape, no Retry-After), failing a request the service can still do.
    return503OnClosing: false,
  });
  const root = createRootLogger(options.logLevels ?? ['log', 'warn', 'error']);
  const logging = loggingParams(root);
  const logger = new AppLogger(logging);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logging), adapter, {
    bodyParser: false,
    abortOnError: false,
    logger,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerRequestLog(fastify, root);
  registerBodyParsers(fastify);
  registerFormParser(fastify);
  registerResponseHeaders(fastify);
  registerGracefulClose(fastify);
  registerQueryGuard(fastify);
  registerRequestMetrics(fastify, app.get(Metrics));
  registerSecurityHeaders(fastify, {
    // The API serves JSON only: nothing on it may load or frame anything.
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: false, // set per request, only when the request came over TLS (see http-setup.ts)
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  // Before @fastify/cookie, whose onSend hook writes the cookies that cookie mode's hooks set.
  registerCookieTransport(fastify, config);
  // Cookies are parsed only where cookie mode reads one (hook: false), not on every request.
  await app.register(fastifyCookie, { hook: false });
  setupOpenApi(app);
  // @fastify/cors on Fastify itself rather than through app.enableCors(), whose wrapper (there so that
  // Nest middleware, which this service has none of, answers with the CORS headers) copies every
  // header of every answer onto the raw response.
  await app.register(fastifyCors, { delegator: corsPolicy(config.http.corsOrigins) });
  await app.init();
  return app;
}

/**
 * TRUST_PROXY as Fastify takes it. A number of hops (SPEC §1) trusts the socket's peer and the
 * hops before it up to that count, as proxy-addr counts them: the client is the address that many
 * hops back in X-Forwarded-For. Fastify 5.12 no longer takes a bare number (it now trusts nothing
 * for one), so the count is given as that function; 0 trusts nothing.
 */
function fastifyTrustProxy(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  const hops = trust;
  return hops > 0 ? (_address, hop) => hop < hops : false;
}
