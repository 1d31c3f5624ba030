import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';

@Injectable()
export class SessionsRepository {
  constructor(@InjectRepository(Session) private readonly sessions: Repository<Session>) {}

  private repo(manager?: EntityManager): Repository<Session> {
    return manager ? manager.getRepository(Session) : this.sessions;
  }

  async insertWithToken(session: Session, token: RefreshToken, manager: EntityManager): Promise<void> {
    await manager.getRepository(Session).insert(session);
    await manager.getRepository(RefreshToken).insert(token);
  }

  findById(id: string, manager?: EntityManager): Promise<Session | null> {
    return this.repo(manager).findOneBy({ id });
  }
}
