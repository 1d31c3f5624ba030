import { AddressInfo, createServer } from 'node:net';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { createApp } from '../../apps/auth-service/src/app.factory';
import { AppConfig } from '../../apps/auth-service/src/config/app-config';
import { loadConfig } from '../../apps/auth-service/src/config/env.schema';
import { createTestDatabase, TestDatabase } from './databases';
import { BASE_ENV } from './test-env';

export interface RunningService {
  url: string;
  app: NestFastifyApplication;
  config: AppConfig;
  database: TestDatabase;
  dataSource: DataSource;
  /** Stops the service; the database stays for a restart unless `drop` is called. */
  stop(): Promise<void>;
  /** Stops the service and drops its database. */
  close(): Promise<void>;
}

/**
 * The real service, in process, on port 0 (or `port`), over real HTTP, on its own database (or on
 * `database` to restart on the same one).
 */
export async function startAuthService(env: Record<string, string> = {}, database?: TestDatabase, port = 0): Promise<RunningService> {
  const db = database ?? (await createTestDatabase());
  const config = loadConfig({ ...BASE_ENV, ...db.env, ...env });
  const app = await createApp(config, { logLevels: ['error'] });
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const bound = typeof address === 'object' && address ? address.port : 0;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
  };
  return {
    url: `http://127.0.0.1:${bound}`,
    app,
    config,
    database: db,
    dataSource: app.get(DataSource),
    stop,
    close: async () => {
      await stop();
      await db.drop();
    },
  };
}

/**
 * A port that was free a moment ago: for a service whose JWT_ISSUER must be its own address (OAuth
 * libraries compare the discovered issuer with the URL they were given), known before it starts.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
