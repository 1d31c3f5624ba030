import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { User } from './user.entity';

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  private repo(manager?: EntityManager): Repository<User> {
    return manager ? manager.getRepository(User) : this.users;
  }

  findByEmail(email: string, manager?: EntityManager): Promise<User | null> {
    return this.repo(manager).findOneBy({ email });
  }

  findById(id: string, manager?: EntityManager): Promise<User | null> {
    return this.repo(manager).findOneBy({ id });
  }

  async anyAdminExists(manager?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await this.repo(manager).query(`SELECT 1 FROM users WHERE 'admin' = ANY (roles) LIMIT 1`);
    return rows.length > 0;
  }

  async insert(user: User, manager?: EntityManager): Promise<void> {
    await this.repo(manager).insert(user);
  }

  async updatePasswordHash(id: string, passwordHash: string, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, { passwordHash, updatedAt: new Date() });
  }
}
