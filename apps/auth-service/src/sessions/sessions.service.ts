import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RefreshToken } from './refresh-token.entity';
import { generateRefreshToken, hashRefreshToken } from './refresh-token';
import { Session } from './session.entity';
import { SessionsRepository } from './sessions.repository';

export interface ClientContext {
  ip: string | null;
  userAgent: string | null;
}

export interface StartedSession {
  sessionId: string;
  refreshToken: string;
  /** Seconds: the smaller of the idle lifetime and the time left to the session's absolute end. */
  refreshExpiresIn: number;
}

@Injectable()
export class SessionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionsRepository,
    private readonly dataSource: DataSource,
  ) {}

  /** A login: a new session (token family) and its first refresh token, in one transaction. */
  async start(userId: string, client: ClientContext): Promise<StartedSession> {
    const now = new Date();
    const { refreshTtl, sessionMaxAge } = this.config.tokens;
    const session = Object.assign(new Session(), {
      id: randomUUID(),
      userId,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + sessionMaxAge * 1000),
      ip: client.ip?.slice(0, 64) ?? null,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      revokedAt: null,
      revokedReason: null,
    });
    const refreshToken = generateRefreshToken();
    const refreshExpiresIn = Math.min(refreshTtl, sessionMaxAge);
    const token = Object.assign(new RefreshToken(), {
      id: randomUUID(),
      sessionId: session.id,
      parentId: null,
      tokenHash: hashRefreshToken(refreshToken),
      createdAt: now,
      expiresAt: new Date(now.getTime() + refreshExpiresIn * 1000),
      usedAt: null,
    });
    await this.dataSource.transaction((manager) => this.sessions.insertWithToken(session, token, manager));
    return { sessionId: session.id, refreshToken, refreshExpiresIn };
  }
}
