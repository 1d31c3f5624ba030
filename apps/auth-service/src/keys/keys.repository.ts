import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { KeyStatus, SigningKey } from './signing-key.entity';

@Injectable()
export class KeysRepository {
  constructor(@InjectRepository(SigningKey) private readonly keys: Repository<SigningKey>) {}

  private repo(manager?: EntityManager): Repository<SigningKey> {
    return manager ? manager.getRepository(SigningKey) : this.keys;
  }

  /** Keys that verify (next, active, retiring), oldest first. */
  findPublished(manager?: EntityManager): Promise<SigningKey[]> {
    return this.repo(manager).find({ where: { status: In<KeyStatus>(['next', 'active', 'retiring']) }, order: { createdAt: 'ASC' } });
  }

  /** Every key, retired ones too. */
  findAll(manager?: EntityManager): Promise<SigningKey[]> {
    return this.repo(manager).find({ order: { createdAt: 'ASC' } });
  }

  async setPrivateKeyEnc(kid: string, privateKeyEnc: string, manager: EntityManager): Promise<void> {
    await this.repo(manager).update({ kid }, { privateKeyEnc });
  }

  count(manager?: EntityManager): Promise<number> {
    return this.repo(manager).count();
  }

  /** A step of the lifecycle (rotation.ts), with the date of the state it enters. */
  async move(kid: string, to: Exclude<KeyStatus, 'next'>, now: Date, manager: EntityManager): Promise<void> {
    const dated = { active: { activatedAt: now }, retiring: { retiringAt: now }, retired: { retiredAt: now } }[to];
    await this.repo(manager).update({ kid }, { status: to, ...dated });
  }

  async insert(key: SigningKey, manager: EntityManager): Promise<void> {
    await this.repo(manager).insert(key);
  }
}
