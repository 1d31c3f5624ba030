import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { KeysModule } from '../keys/keys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AccessTokenGuard } from './access-token.guard';
import { AccessTokenService } from './access-token.service';
import { AccessTokenStrategy } from './access-token.strategy';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { RolesGuard } from './roles.guard';

@Module({
  imports: [PassportModule, UsersModule, SessionsModule, KeysModule],
  controllers: [AuthController],
  providers: [AuthService, AccessTokenService, AccessTokenStrategy, AccessTokenGuard, RolesGuard],
  exports: [AccessTokenGuard, RolesGuard, AccessTokenService],
})
export class AuthModule {}
