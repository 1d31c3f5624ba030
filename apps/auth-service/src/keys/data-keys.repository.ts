import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { DataKey } from './data-key.entity';

@Injectable()
export class DataKeysRepository {
  constructor(@InjectRepository(DataKey) private readonly keys: Repository<DataKey>) {}

  private repo(manager?: EntityManager): Repository<DataKey> {
    return manager ? manager.getRepository(DataKey) : this.keys;
  }

  findAll(manager?: EntityManager): Promise<DataKey[]> {
    return this.repo(manager).find();
  }

  async insert(key: DataKey, manager: EntityManager): Promise<void> {
    await this.repo(manager).insert(key);
  }

  async rewrap(purpose: string, keyEnc: string, at: Date, manager: EntityManager): Promise<void> {
    await this.repo(manager).update({ purpose }, { keyEnc, wrappedAt: at });
  }
}
