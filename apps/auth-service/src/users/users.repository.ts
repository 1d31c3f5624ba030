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

  /** Keyset page on (created_at, id), newest first, by email prefix. */
  page(emailPrefix: string | undefined, cursor: { createdAt: Date; id: string } | undefined, limit: number): Promise<User[]> {
    const qb = this.users.createQueryBuilder('u');
    if (emailPrefix) qb.andWhere(`u.email LIKE :prefix ESCAPE '\\'`, { prefix: `${emailPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    if (cursor) qb.andWhere('(u.created_at, u.id) < (:at, :id)', { at: cursor.createdAt, id: cursor.id });
    return qb.orderBy('u.created_at', 'DESC').addOrderBy('u.id', 'DESC').limit(limit).getMany();
  }

  async setDisabled(id: string, disabledAt: Date | null, manager?: EntityManager): Promise<boolean> {
    const result = await this.repo(manager).update({ id }, { disabledAt, updatedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }

  async setRoles(id: string, roles: string[], manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, { roles, updatedAt: new Date() });
  }

  async updatePasswordHash(id: string, passwordHash: string, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, { passwordHash, updatedAt: new Date() });
  }
}
