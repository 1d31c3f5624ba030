import { Module } from '@nestjs/common';
import { AbuseModule } from '../abuse/abuse.module';
import { AuthModule } from '../auth/auth.module';
import { KeysModule } from '../keys/keys.module';
import { SecurityLogModule } from '../security-log/security-log.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AdminKeysController } from './admin-keys.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { ConsoleController } from './console.controller';
import { SecurityLogsController } from './security-logs.controller';
import { SecurityLogsService } from './security-logs.service';

@Module({
  imports: [AbuseModule, AuthModule, KeysModule, SecurityLogModule, SessionsModule, UsersModule],
  controllers: [SecurityLogsController, AdminUsersController, AdminKeysController, ConsoleController],
  providers: [SecurityLogsService, AdminUsersService],
})
export class AdminModule {}
