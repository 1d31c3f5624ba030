import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config/env.schema';
import { createDataSource, runMigrations } from '../database/data-source';

/** `npm run migration:run`: the same factory as the service, so the DATA_DIR lock is honoured. */
async function main(): Promise<void> {
  try {
    const config = loadConfig(process.env);
    const dataSource = await createDataSource(config);
    try {
      const ran = await runMigrations(dataSource, config);
      process.stdout.write(ran.length ? `Ran ${ran.length} migration(s): ${ran.join(', ')}\n` : 'No pending migrations\n');
    } finally {
      // Not initialised when the connection failed: keep the original error, not destroy()'s.
      await dataSource.destroy().catch(() => undefined);
    }
  } catch (error) {
    if (error instanceof ConfigError) for (const p of error.problems) process.stderr.write(`Configuration error: ${p}\n`);
    else process.stderr.write(`Migrations failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

void main();
