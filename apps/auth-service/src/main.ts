import 'reflect-metadata';
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
    app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
    await app.listen({ port: config.http.port, host: config.http.host });
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.http.port;
    const database = config.db.driver === 'postgres' ? 'PostgreSQL' : `embedded PostgreSQL in ${config.db.dataDir}`;
    process.stdout.write(`Tessera listening on http://${config.http.host}:${port} (database: ${database})\n`);
  } catch (error) {
    process.stderr.write(`Tessera could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

void main();
