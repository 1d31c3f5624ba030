import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../common/app-error';
import { Actor, NO_REQUEST } from '../common/request-context';
import { APP_CONFIG, AppConfig, SigningAlgorithm } from '../config/app-config';
import { LockIds } from '../database/lock-ids';
import { ScheduledJobs } from '../infra/scheduled-jobs';
import { SecurityLogService } from '../security-log/security-log.service';
import { DataKeys } from './data-keys.service';
import { GeneratedKey, generateSigningKey, publicOnly } from './key-material';
import { KeyStore } from './key-store.service';
import { KeysRepository } from './keys.repository';
import { KeyView, planManual, planScheduled, RotationPlan, RotationPolicy } from './rotation';
import { SigningKey } from './signing-key.entity';

/** How often the lifecycle job looks at the keys: retirements and promotions are due to the minute. */
const ROTATION_JOB_INTERVAL_MS = 60_000;

export interface SigningKeyItem {
  kid: string;
  alg: string;
  state: string;
  created_at: string;
  activated_at: string | null;
  retiring_at: string | null;
  retired_at: string | null;
  public_jwk: Record<string, unknown> | null;
}

/**
 * Applies the lifecycle of signing keys (rules in rotation.ts, SPEC §7): at start (first key, a
 * change of JWT_ALG), on schedule (one instance at a time), and when asked (admin endpoint, CLI).
 * Every change happens under the signing-keys lock, re-planned on the rows read under it, so two
 * instances never both rotate; this instance reloads its KeyStore at once, the others within 10 s.
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
    jobs: ScheduledJobs,
  ) {
    jobs.schedule({ name: 'signing-keys.rotate', everyMs: ROTATION_JOB_INTERVAL_MS, lock: LockIds.signingKeyRotation, run: () => this.runScheduled() });
  }

  async onModuleInit(): Promise<void> {
    await this.rewrapUnderCurrentSecret();
    await this.runScheduled();
    await this.store.reload();
  }

  /** The scheduled step: `now` is a parameter so that tests can look 30 days ahead. */
  async runScheduled(now = new Date()): Promise<void> {
    // Most ticks change nothing: look without the lock first.
    if (planScheduled((await this.keys.findAll()).map(toView), this.policy, now).transitions.length === 0) return;
    await this.apply((keys) => planScheduled(keys, this.policy, now), now);
  }

  /** A rotation asked for; the kid of the new active key, or 409 with the seconds to wait. */
  async rotate(options: { urgent: boolean; actor?: Actor; via: 'admin' | 'cli' }, now = new Date()): Promise<{ kid: string }> {
    const kid = await this.apply(
      (keys) => {
        const planned = planManual(keys, this.policy, now, options.urgent);
        if (!planned.ok) {
          const wait = planned.retryAfterSeconds;
          throw new AppError(
            'key_rotation_too_early',
            `The next signing key has not been published long enough for JWKS caches to know it: retry in ${wait} s, or rotate urgently (urgent: true, or --urgent) if the active key leaked`,
            undefined,
            { retry_after: wait },
            { 'Retry-After': String(wait) },
          );
        }
        return planned.plan;
      },
      now,
      options,
    );
    return { kid: kid ?? this.store.activeKey().kid };
  }

  /** Every key, newest first, public parts only (GET /api/admin/keys). */
  async list(): Promise<{ items: SigningKeyItem[] }> {
    const rows = await this.keys.findAll();
    return {
      items: rows.reverse().map((k) => ({
        kid: k.kid,
        alg: k.alg,
        state: k.status,
        created_at: k.createdAt.toISOString(),
        activated_at: k.activatedAt?.toISOString() ?? null,
        retiring_at: k.retiringAt?.toISOString() ?? null,
        retired_at: k.retiredAt?.toISOString() ?? null,
        public_jwk: k.publicJwk ? (publicOnly(k.publicJwk) as Record<string, unknown>) : null,
      })),
    };
  }

  private get policy(): RotationPolicy {
    return { algorithm: this.config.tokens.algorithm, rotationDays: this.config.keys.rotationDays, accessTtl: this.config.tokens.accessTtl };
  }

  /** Plans on the rows read under the lock and applies the plan; returns the kid that became active, if any. */
  private async apply(
    plan: (keys: KeyView[]) => RotationPlan,
    now: Date,
    asked?: { urgent: boolean; actor?: Actor; via: 'admin' | 'cli' },
  ): Promise<string | undefined> {
    const { changed, activeKid } = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [LockIds.signingKeys]);
      const views = (await this.keys.findAll(manager)).map(toView);
      const { transitions, rotation } = plan(views);
      // New keys (the first start: active and next) are generated together, in parallel (RSA
      // generation runs in libuv's threads), then stored in the plan's order.
      const generated = await Promise.all(transitions.map((step) => (step.type === 'create' ? generateSigningKey(step.alg) : null)));
      let becameActive: { kid: string; alg: string } | undefined;
      for (const [i, step] of transitions.entries()) {
        if (step.type === 'move') {
          await this.keys.move(step.kid, step.to, now, manager);
          if (step.to === 'active') becameActive = { kid: step.kid, alg: views.find((k) => k.kid === step.kid)?.alg ?? '' };
        } else {
          const kid = await this.create(generated[i]!, step.state, step.alg, now, manager);
          if (step.state === 'active') becameActive = { kid, alg: step.alg };
        }
      }
      if (rotation && becameActive) {
        const details = {
          kid: becameActive.kid,
          alg: becameActive.alg,
          previous_kid: rotation.previousKid,
          reason: rotation.reason,
          urgent: rotation.urgent,
          via: asked?.via ?? 'schedule',
          ...(asked?.actor ? { actor_id: asked.actor.id } : {}),
        };
        await this.securityLog.record({ type: 'signing_key_rotated', details }, asked?.actor?.context ?? NO_REQUEST, manager);
        this.logger.log(`Signing key ${becameActive.kid} is active (${rotation.reason}${rotation.previousKid ? `, replacing ${rotation.previousKid}` : ''})`);
      }
      return { changed: transitions.length > 0, activeKid: becameActive?.kid };
    });
    if (changed) await this.store.reload();
    return activeKid;
  }

  private async create(generated: GeneratedKey, state: 'next' | 'active', alg: SigningAlgorithm, now: Date, manager: EntityManager): Promise<string> {
    await this.keys.insert(
      Object.assign(new SigningKey(), {
        kid: generated.kid,
        alg,
        status: state,
        publicJwk: generated.publicJwk,
        privateKeyEnc: this.dataKeys.wrap(Buffer.from(JSON.stringify(generated.privateJwk))),
        createdAt: now,
        activatedAt: state === 'active' ? now : null,
        retiringAt: null,
        retiredAt: null,
      }),
      manager,
    );
    return generated.kid;
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
}

function toView(key: SigningKey): KeyView {
  return {
    kid: key.kid,
    alg: key.alg as SigningAlgorithm,
    state: key.status,
    createdAt: key.createdAt,
    activatedAt: key.activatedAt,
    retiringAt: key.retiringAt,
  };
}
