import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ThreadPool } from '../infra/thread-pool';

export interface PasswordCheck {
  valid: boolean;
  /** The hash was made with other parameters than the configured ones: store a new one. */
  needsRehash: boolean;
}

/** argon2id at OWASP's minimum by default (19 MiB, t=2, p=1; SPEC §6), on libuv's pool, each hash counted as a long job there. */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly options: argon2.HashOptions & { raw?: false };
  private dummyHash: Promise<string>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly pool: ThreadPool,
  ) {
    this.options = {
      type: argon2.argon2id,
      memoryCost: config.argon2.memoryKib,
      timeCost: config.argon2.iterations,
      parallelism: config.argon2.parallelism,
    };
  }

  onModuleInit(): void {
    // A hash of a random password, with the live parameters: an unknown email costs the same
    // argon2 work as a wrong password, so timing does not tell whether an account exists. Made in
    // argon2's thread while the service starts, not waited for (it cost a cold start 50-350 ms):
    // the first unknown-email login waits for it.
    this.dummyHash = this.hash(randomBytes(32).toString('base64url'));
    this.dummyHash.catch(() => undefined); // a failure surfaces at verifyDummy, not as an unhandled rejection
  }

  /** `password` must already be NFKC-normalised (see password-policy.ts). */
  hash(password: string): Promise<string> {
    return this.pool.long(() => argon2.hash(password, this.options));
  }

  async verify(hash: string, password: string): Promise<PasswordCheck> {
    let valid = false;
    try {
      valid = await this.pool.long(() => argon2.verify(hash, password));
    } catch {
      valid = false; // a malformed stored hash never lets anyone in
    }
    return { valid, needsRehash: valid && argon2.needsRehash(hash, this.options) };
  }

  /** Burns the same work as a real verification and always fails. */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(await this.dummyHash, password);
    return false;
  }
}
