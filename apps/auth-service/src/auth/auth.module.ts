import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AbuseModule } from '../abuse/abuse.module';
import { KeysModule } from '../keys/keys.module';
import { SecurityLogModule } from '../security-log/security-log.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AccessTokenGuard } from './access-token.guard';
import { AccessTokenService } from './access-token.service';
import { AccessTokenStrategy } from './access-token.strategy';
import { AccessTokenVerifier } from './access-token.verifier';
import { AuthController } from './auth.controller';
import { LoginService } from './login.service';
import { PasswordService } from './password.service';
import { RegistrationService } from './registration.service';
import { SessionsController } from './sessions.controller';
import { TokenLifecycleService } from './token-lifecycle.service';

@Module({
  imports: [PassportModule, AbuseModule, UsersModule, SessionsModule, KeysModule, SecurityLogModule],
  controllers: [AuthController, SessionsController],
  providers: [LoginService, RegistrationService, PasswordService, TokenLifecycleService, AccessTokenService, AccessTokenVerifier, AccessTokenStrategy, AccessTokenGuard],
  exports: [AccessTokenGuard, AccessTokenService, TokenLifecycleService],
})
export class AuthModule {}
