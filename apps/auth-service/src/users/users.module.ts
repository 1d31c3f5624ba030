import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecurityLogModule } from '../security-log/security-log.module';
import { BootstrapAdminService } from './bootstrap-admin.service';
import { PasswordHasher } from './password-hasher.service';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User]), SecurityLogModule],
  providers: [UsersRepository, UsersService, PasswordHasher, BootstrapAdminService],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}
