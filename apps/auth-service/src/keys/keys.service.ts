import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { JWK } from 'jose';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, SigningAlgorithm } from '../config/app-config';
import { decryptPrivateKey, deriveKey, encryptPrivateKey, KeyPurpose } from './key-crypto';
import { generateSigningKey, importPrivateKey, importPublicKey, KeyMaterial, publicOnly } from './key-material';
import { KeysRepository } from './keys.repository';
import { SigningKey } from './signing-key.entity';
import { SecurityLogService } from '../security-log/security-log.service';
import { resolveEncryptionSecret } from './encryption-secret';
import { NO_REQUEST } from '../common/request-context';

export interface ActiveKey {
  kid: string;
  alg: SigningAlgorithm;
  key: KeyMaterial;
}

/** Every instance picks up a key change within this many milliseconds (SPEC §7). */
const RELOAD_INTERVAL_MS = 10_000;

export class KeysUnusableError extends Error {}

/**
 * Signing keys live in the database so that every instance signs with the same active key;
 * this service keeps the published ones in memory and reloads them every 10 seconds.
 */
@Injectable()
export class KeysService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KeysService.name);
  private readonly secrets: string[];
  private active: ActiveKey;
  private verification = new Map<string, { alg: SigningAlgorithm; key: KeyMaterial }>();
  private published: JWK[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeysRepository,
    private readonly dataSource: DataSource,
    private readonly securityLog: SecurityLogService,
  ) {
    this.secrets = [resolveEncryptionSecret(config), ...config.keys.previousSecrets];
  }

  async onModuleInit(): Promise<void> {
    await this.ensureActiveKey();
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((error: Error) => this.logger.warn(`Reloading signing keys failed: ${error.message}`));
    }, RELOAD_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** A key derived from KEYS_ENCRYPTION_SECRET for another purpose (refresh successors, log chain). */
  derivedKey(purpose: KeyPurpose): Buffer {
    return deriveKey(this.secrets[0], purpose);
  }

  activeKey(): ActiveKey {
    return this.active;
  }

  /** The key resolver of the shared verification core: only keys this service published. */
  readonly resolveVerificationKey = (header: { alg: string; kid: string }): KeyMaterial | undefined => {
    const entry = this.verification.get(header.kid);
    return entry && entry.alg === header.alg ? entry.key : undefined;
  };

  jwks(): { keys: JWK[] } {
    return { keys: this.published };
  }

  /**
   * First start: create the signing key. A changed JWT_ALG: a new active key of that algorithm,
   * the old one retiring. Instances starting together serialise on an advisory lock.
   */
  private async ensureActiveKey(): Promise<void> {
    const alg = this.config.tokens.algorithm;
    const current = (await this.keys.findPublished()).find((k) => k.status === 'active');
    if (current?.alg === alg) return;
    const generated = await generateSigningKey(alg); // outside the transaction: RSA generation is slow
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(7310003)');
      const active = (await this.keys.findPublished(manager)).find((k) => k.status === 'active');
      if (active?.alg === alg) return; // another instance did it first
      const now = new Date();
      if (active) await this.keys.retireActive(now, manager);
      await this.keys.insert(
        Object.assign(new SigningKey(), {
          kid: generated.kid,
          alg,
          status: 'active',
          publicJwk: generated.publicJwk,
          privateKeyEnc: encryptPrivateKey(Buffer.from(JSON.stringify(generated.privateJwk)), this.secrets[0]),
          createdAt: now,
          activatedAt: now,
          retiringAt: null,
          retiredAt: null,
        }),
        manager,
      );
      await this.securityLog.record(
        { type: 'signing_key_rotated', details: { kid: generated.kid, alg, previous_kid: active?.kid ?? null, reason: active ? 'algorithm_changed' : 'first_key' } },
        NO_REQUEST,
        manager,
      );
      this.logger.log(`Created ${alg} signing key ${generated.kid}${active ? ` (replacing ${active.alg} key ${active.kid})` : ''}`);
    });
  }

  private async reload(): Promise<void> {
    const rows = await this.keys.findPublished();
    const verification = new Map<string, { alg: SigningAlgorithm; key: KeyMaterial }>();
    const published: JWK[] = [];
    let active: ActiveKey | undefined;
    let undecryptable = 0;
    for (const row of rows) {
      const alg = row.alg as SigningAlgorithm;
      const needsPrivate = row.status === 'active' || alg === 'HS256';
      let privateJwk: JWK | undefined;
      if (needsPrivate) {
        const plain = decryptPrivateKey(row.privateKeyEnc, this.secrets);
        if (!plain) {
          undecryptable++;
          continue;
        }
        privateJwk = JSON.parse(plain.toString('utf8')) as JWK;
      }
      if (row.publicJwk) {
        published.push(publicOnly(row.publicJwk));
        verification.set(row.kid, { alg, key: await importPublicKey(alg, row.publicJwk) });
      } else if (privateJwk) {
        verification.set(row.kid, { alg, key: await importPrivateKey(alg, privateJwk) });
      }
      if (row.status === 'active' && privateJwk) active = { kid: row.kid, alg, key: await importPrivateKey(alg, privateJwk) };
    }
    if (!active) {
      throw new KeysUnusableError(
        undecryptable > 0
          ? `KEYS_ENCRYPTION_SECRET decrypts none of the stored signing keys (${undecryptable} could not be decrypted): ` +
              'every instance must be given the same secret (older ones go in KEYS_ENCRYPTION_SECRET_PREVIOUS)'
          : 'No active signing key is stored',
      );
    }
    this.active = active;
    this.verification = verification;
    this.published = published;
  }
}
