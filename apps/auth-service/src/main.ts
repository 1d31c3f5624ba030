import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/env.schema';
import { AppConfig } from './config/app-config';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`Configuration error: ${problem}\n`);
    process.exit(1);
  }
  try {
    const app = await createApp(config);
    const logger = new Logger('Tessera');
    // SIGTERM/SIGINT: stop accepting, drain in-flight requests, run every shutdown hook (the
    // database and PGlite close, the DATA_DIR lock is released), then exit 0.
    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      logger.log(`${signal}: shutting down`);
      const force = setTimeout(() => process.exit(1), 25_000);
      force.unref();
      app.close().then(
        () => process.exit(0),
        (error: Error) => {
          process.stderr.write(`Shutdown failed: ${error.message}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    await app.listen({ port: config.http.port, host: config.http.host });
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.http.port;
    const database = config.db.driver === 'postgres' ? 'PostgreSQL' : `embedded PostgreSQL in ${config.db.dataDir}`;
    // A JSON line like every other (tests and scripts find the address in it).
    logger.log(`Tessera listening on http://${config.http.host}:${port} (database: ${database})`);
  } catch (error) {
    process.stderr.write(`Tessera could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

void main();
