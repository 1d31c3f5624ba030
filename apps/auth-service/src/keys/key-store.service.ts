import { Injectable } from '@nestjs/common';
import type { JWK } from 'jose';
import { SigningAlgorithm } from '../config/app-config';
import { ScheduledJobs } from '../infra/scheduled-jobs';
import { DataKeys } from './data-keys.service';
import { importPrivateKey, importPublicKey, KeyMaterial, publicOnly } from './key-material';
import { KeysRepository } from './keys.repository';
import { KEY_RELOAD_SECONDS } from './rotation';

export interface ActiveKey {
  kid: string;
  alg: SigningAlgorithm;
  key: KeyMaterial;
}

/** Every instance picks up a key change within 10 s (SPEC §7): it reloads twice as often. */
const RELOAD_INTERVAL_MS = KEY_RELOAD_SECONDS * 1000;

export class KeysUnusableError extends Error {}

/**
 * The signing keys as this instance uses them: the active key (signs), the published ones (verify,
 * JWKS). They live in the database so that every instance signs with the same key; this store keeps
 * them in memory and reloads them on every instance every few seconds.
 */
@Injectable()
export class KeyStore {
  private active: ActiveKey;
  private verification = new Map<string, { alg: SigningAlgorithm; key: KeyMaterial }>();
  private published: JWK[] = [];
  private algorithms: SigningAlgorithm[] = [];
  private since: { active?: Date; next?: Date } = {};

  constructor(
    private readonly keys: KeysRepository,
    private readonly dataKeys: DataKeys,
    jobs: ScheduledJobs,
  ) {
    jobs.schedule({ name: 'signing-keys.reload', everyMs: RELOAD_INTERVAL_MS, run: () => this.reload() });
  }

  activeKey(): ActiveKey {
    return this.active;
  }

  /** The key resolver of the shared verification core: only keys this service published. */
  readonly resolveVerificationKey = (header: { alg: string; kid: string }): KeyMaterial | undefined => {
    const entry = this.verification.get(header.kid);
    return entry && entry.alg === header.alg ? entry.key : undefined;
  };

  /**
   * The algorithms of the keys that verify: after a change of JWT_ALG, tokens of the old key's
   * algorithm stay valid until they expire. The resolver still pins each kid to its own algorithm.
   */
  verificationAlgorithms(): SigningAlgorithm[] {
    return this.algorithms;
  }

  /** For metrics: when the active key began signing, and when the next key (if any) was published. */
  timeline(): { activeSince?: Date; nextPublishedAt?: Date } {
    return { activeSince: this.since.active, nextPublishedAt: this.since.next };
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.published };
  }

  /** Reads the published keys; throws KeysUnusableError when none can sign here. */
  async reload(): Promise<void> {
    const rows = await this.keys.findPublished();
    const verification = new Map<string, { alg: SigningAlgorithm; key: KeyMaterial }>();
    const published: JWK[] = [];
    let active: ActiveKey | undefined;
    let undecryptable = 0;
    const since: { active?: Date; next?: Date } = {};
    for (const row of rows) {
      if (row.status === 'active') since.active = row.activatedAt ?? row.createdAt;
      if (row.status === 'next') since.next = row.createdAt;
      const alg = row.alg as SigningAlgorithm;
      const needsPrivate = row.status === 'active' || alg === 'HS256';
      let privateJwk: JWK | undefined;
      if (needsPrivate) {
        const plain = this.dataKeys.unwrap(row.privateKeyEnc);
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
    this.algorithms = [...new Set([...verification.values()].map((v) => v.alg))];
    this.since = since;
  }
}
