import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NO_REQUEST } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LockIds } from '../database/lock-ids';
import { SecurityLogService } from '../security-log/security-log.service';
import { DataKeys } from './data-keys.service';
import { generateSigningKey } from './key-material';
import { KeyStore } from './key-store.service';
import { KeysRepository } from './keys.repository';
import { SigningKey } from './signing-key.entity';

/**
 * Changes of signing keys (SPEC §7): the first key, and a change of JWT_ALG (a rotation to a key of
 * the new algorithm; the old key retires and keeps verifying). Instances starting together take
 * turns on an advisory lock. At start it also loads the key store.
 */
@Injectable()
export class KeyRotation implements OnModuleInit {
  private readonly logger = new Logger('SigningKeys');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeysRepository,
    private readonly store: KeyStore,
    private readonly dataKeys: DataKeys,
    private readonly dataSource: DataSource,
    private readonly securityLog: SecurityLogService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.rewrapUnderCurrentSecret();
    await this.ensureActiveKey();
    await this.store.reload();
  }

  /** After a rotation of KEYS_ENCRYPTION_SECRET: private keys that only an older secret opens are wrapped anew. */
  private async rewrapUnderCurrentSecret(): Promise<void> {
    if (!(await this.keys.findAll()).some((k) => this.dataKeys.rewrapIfOld(k.privateKeyEnc))) return;
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [LockIds.signingKeys]);
      let count = 0;
      for (const key of await this.keys.findAll(manager)) {
        const rewrapped = this.dataKeys.rewrapIfOld(key.privateKeyEnc);
        if (!rewrapped) continue;
        await this.keys.setPrivateKeyEnc(key.kid, rewrapped, manager);
        count++;
      }
      if (count) this.logger.log(`Re-wrapped ${count} signing key(s) under the current KEYS_ENCRYPTION_SECRET`);
    });
  }

  private async ensureActiveKey(): Promise<void> {
    const alg = this.config.tokens.algorithm;
    const current = (await this.keys.findPublished()).find((k) => k.status === 'active');
    if (current?.alg === alg) return;
    const generated = await generateSigningKey(alg); // outside the transaction: RSA generation is slow
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [LockIds.signingKeys]);
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
          privateKeyEnc: this.dataKeys.wrap(Buffer.from(JSON.stringify(generated.privateJwk))),
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
}
