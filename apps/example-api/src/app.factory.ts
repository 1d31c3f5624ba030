import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { ExampleApiModule } from './app.module';
import { ExampleApiConfig } from './config';

/** The example API for one configuration, initialised; `listen` is the caller's. */
export async function createExampleApi(config: ExampleApiConfig, logLevels: LogLevel[] = ['log', 'warn', 'error']): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    // A malformed URL is refused before routing: same error shape as the rest.
    frameworkErrors: (_error: unknown, _request: unknown, reply: FastifyReply) => {
      void reply.code(400).send({ statusCode: 400, error: 'validation_failed', message: 'Malformed URL' });
    },
    // No Nest middleware here, so no @fastify/middie and its hook on every request.
    skipMiddie: true,
    // A request on a busy keep-alive connection while the API drains (SIGTERM) is verified and
    // answered (its connection then closes), not refused with Fastify's own 503 body.
    return503OnClosing: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(ExampleApiModule.forRoot(config), adapter, { logger: logLevels, abortOnError: false });
  await app.init();
  return app;
}
