import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LockIds } from '../database/lock-ids';
import { DataKey } from './data-key.entity';
import { DataKeysRepository } from './data-keys.repository';
import { resolveEncryptionSecret } from './encryption-secret';
import { decryptPrivateKey, deriveKey, encryptPrivateKey } from './key-crypto';

/** The HMAC keys other features use: grace successors of refresh tokens (§4) and the log chain (§5). */
export type DataKeyPurpose = 'refresh-successor' | 'security-log-chain';
const PURPOSES: readonly DataKeyPurpose[] = ['refresh-successor', 'security-log-chain'];

export class DataKeysUnusableError extends Error {}

/**
 * The one owner of what KEYS_ENCRYPTION_SECRET protects (SPEC §7). It wraps and unwraps private
 * signing keys, and holds the data keys: random HMAC keys stored wrapped in `data_keys`, loaded at
 * start. Unwrapping tries the current secret, then KEYS_ENCRYPTION_SECRET_PREVIOUS; whatever only an
 * older secret opens is re-wrapped under the current one at start, so the secret can rotate.
 *
 * The first data keys take the values the secret's HKDF derivation gave before they were stored
 * (that derivation was the key until then), so that a chain already sealed and grace successors
 * already handed out stay valid across the upgrade.
 */
@Injectable()
export class DataKeys implements OnModuleInit {
  private readonly logger = new Logger('DataKeys');
  private readonly current: string;
  private readonly previous: readonly string[];
  private readonly keys = new Map<DataKeyPurpose, Buffer>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly repository: DataKeysRepository,
    private readonly dataSource: DataSource,
  ) {
    this.current = resolveEncryptionSecret(config);
    this.previous = config.keys.previousSecrets;
  }

  async onModuleInit(): Promise<void> {
    if (!this.loadFrom(await this.repository.findAll())) await this.createAndRewrap();
  }

  /** The HMAC key for `purpose`. */
  key(purpose: DataKeyPurpose): Buffer {
    const key = this.keys.get(purpose);
    if (!key) throw new Error(`Data key ${purpose} is not loaded`);
    return key;
  }

  /** AES-256-GCM under the current secret. */
  wrap(plaintext: Buffer): string {
    return encryptPrivateKey(plaintext, this.current);
  }

  /** null when no accepted secret opens it (a wrong secret, or tampering). */
  unwrap(wrapped: string): Buffer | null {
    return decryptPrivateKey(wrapped, [this.current, ...this.previous]);
  }

  /** The same content wrapped under the current secret when only an older one opens it; null otherwise. */
  rewrapIfOld(wrapped: string): string | null {
    if (decryptPrivateKey(wrapped, [this.current])) return null;
    const plain = decryptPrivateKey(wrapped, this.previous);
    return plain ? this.wrap(plain) : null;
  }

  /** True when every purpose has a key that the current secret opens: nothing to create or re-wrap. */
  private loadFrom(rows: DataKey[]): boolean {
    let complete = true;
    for (const purpose of PURPOSES) {
      const row = rows.find((r) => r.purpose === purpose);
      const plain = row && decryptPrivateKey(row.keyEnc, [this.current]);
      if (plain) this.keys.set(purpose, plain);
      else complete = false;
    }
    return complete;
  }

  /** Creates missing keys and re-wraps old ones; instances starting together take turns. */
  private async createAndRewrap(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [LockIds.dataKeys]);
      const rows = await this.repository.findAll(manager);
      const now = new Date();
      for (const purpose of PURPOSES) {
        const row = rows.find((r) => r.purpose === purpose);
        if (!row) {
          const key = deriveKey(this.current, purpose);
          await this.repository.insert(Object.assign(new DataKey(), { purpose, keyEnc: this.wrap(key), createdAt: now, wrappedAt: now }), manager);
          this.logger.log(`Stored data key ${purpose}`);
          continue;
        }
        const rewrapped = this.rewrapIfOld(row.keyEnc);
        if (rewrapped) {
          await this.repository.rewrap(purpose, rewrapped, now, manager);
          this.logger.log(`Re-wrapped data key ${purpose} under the current KEYS_ENCRYPTION_SECRET`);
        } else if (!decryptPrivateKey(row.keyEnc, [this.current])) {
          throw new DataKeysUnusableError(
            `KEYS_ENCRYPTION_SECRET decrypts none of the stored data keys (${purpose} could not be decrypted): every instance must be given the same secret ` +
              '(older ones go in KEYS_ENCRYPTION_SECRET_PREVIOUS)',
          );
        }
      }
      if (!this.loadFrom(await this.repository.findAll(manager))) throw new DataKeysUnusableError('Data keys could not be stored');
    });
  }
}
