import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { createRootLogger, loggingParams } from '../common/logging';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { ConfigError, loadConfig } from '../config/env.schema';
import { KeyRotation } from '../keys/key-rotation.service';

const USAGE = 'Usage: npm run keys:rotate [-- --urgent]';

/**
 * `npm run keys:rotate [-- --urgent]`: the admin endpoint's rotation from a shell. It runs the
 * service's own modules without HTTP, so the data-source factory (and the DATA_DIR lock: with the
 * embedded database, stop the service first) and the rules are the service's; on PostgreSQL the
 * running instances pick the new key up within 10 s.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--urgent');
  if (unknown.length > 0) {
    process.stderr.write(`Unknown argument(s): ${unknown.join(' ')}\n${USAGE}\n`);
    process.exit(2);
  }
  const urgent = args.includes('--urgent');
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const p of error.problems) process.stderr.write(`Configuration error: ${p}\n`);
    process.exit(1);
  }
  try {
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, loggingParams(createRootLogger(['error']))), { logger: ['error'], abortOnError: false });
    try {
      const rotation = app.get(KeyRotation);
      const { kid } = await rotation.rotate({ urgent, via: 'cli' });
      process.stdout.write(`Signing key ${kid} is now active${urgent ? ' (urgent: the previous key no longer verifies)' : ''}\n`);
    } finally {
      await app.close();
    }
  } catch (error) {
    if (error instanceof AppError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(error.code === 'key_rotation_too_early' ? 75 : 1); // 75: EX_TEMPFAIL, try again later
    }
    process.stderr.write(`Key rotation failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

void main();
