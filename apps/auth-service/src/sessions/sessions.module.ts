import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataKeysModule } from '../keys/data-keys.module';
import { SecurityLogModule } from '../security-log/security-log.module';
import { SessionsHousekeeping } from './housekeeping.service';
import { RefreshToken } from './refresh-token.entity';
import { RevokedSessions } from './revoked-sessions.service';
import { Session } from './session.entity';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([Session, RefreshToken]), DataKeysModule, SecurityLogModule],
  providers: [SessionsRepository, SessionsService, RevokedSessions, SessionsHousekeeping],
  exports: [SessionsService, SessionsHousekeeping, RevokedSessions],
})
export class SessionsModule {}
