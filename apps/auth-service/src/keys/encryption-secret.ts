import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';

/**
 * KEYS_ENCRYPTION_SECRET, or outside production a development secret generated once under
 * DATA_DIR (mode 0600), so that `npm start` needs no setup and a restart keeps its keys usable.
 * Production refuses to start without the variable (config/env.schema.ts).
 */
export function resolveEncryptionSecret(config: Pick<AppConfig, 'keys' | 'db' | 'env'>): string {
  if (config.keys.encryptionSecret) return config.keys.encryptionSecret;
  if (config.env === 'production') throw new Error('KEYS_ENCRYPTION_SECRET is required in production');
  const path = join(config.db.dataDir, 'keys-encryption-secret');
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(config.db.dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // another process created it first: use theirs
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8').trim();
    throw error;
  }
  chmodSync(path, 0o600);
  return secret;
}
