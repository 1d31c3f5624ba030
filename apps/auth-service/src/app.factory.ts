import helmet from '@fastify/helmet';
import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module';
import { AppLogger } from './common/app-logger';
import { clientErrorHandler } from './common/client-errors';
import { registerBodyParsers, registerFormParser, registerQueryGuard, registerResponseHeaders } from './common/http-setup';
import { AppConfig } from './config/app-config';

/** Bodies over 16 KiB are refused with 413 (SPEC §2). */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface CreateAppOptions {
  logLevels?: LogLevel[] | false;
}

/** Builds (and initialises) the service for one configuration; `listen` is the caller's. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.http.trustProxy,
    genReqId: () => randomUUID(),
    // Errors Fastify raises before routing (a malformed percent-encoding): same shape as the rest.
    frameworkErrors: (_error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      void reply.code(400).send({ statusCode: 400, error: 'validation_failed', message: 'Malformed URL' });
    },
    // Requests Node's HTTP parser refuses before Fastify sees them: same shape too (found by test/fuzz).
    clientErrorHandler,
  });
  const logger = options.logLevels === false ? false : new AppLogger('Tessera', { logLevels: options.logLevels ?? ['log', 'warn', 'error'] });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bodyParser: false,
    abortOnError: false,
    logger,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerBodyParsers(fastify);
  registerFormParser(fastify);
  registerResponseHeaders(fastify);
  registerQueryGuard(fastify);
  await app.register(helmet, {
    // The API serves JSON only: nothing on it may load or frame anything.
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    hsts: false, // set per request, only when the request came over TLS (see http-setup.ts)
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  app.enableCors({
    origin: config.http.corsOrigins.length > 0 ? [...config.http.corsOrigins] : false,
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  });
  await app.init();
  return app;
}
