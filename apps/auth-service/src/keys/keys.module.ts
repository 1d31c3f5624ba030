import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecurityLogModule } from '../security-log/security-log.module';
import { DataKeysModule } from './data-keys.module';
import { KeyRotation } from './key-rotation.service';
import { KeyStore } from './key-store.service';
import { KeysController } from './keys.controller';
import { KeysRepository } from './keys.repository';
import { SigningKey } from './signing-key.entity';

@Module({
  imports: [TypeOrmModule.forFeature([SigningKey]), SecurityLogModule, DataKeysModule],
  controllers: [KeysController],
  providers: [KeysRepository, KeyStore, KeyRotation],
  exports: [KeyStore, KeyRotation],
})
export class KeysModule {}
