import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataKey } from './data-key.entity';
import { DataKeysRepository } from './data-keys.repository';
import { DataKeys } from './data-keys.service';

/** Its own module, so that the security log and sessions use data keys without importing signing keys. */
@Module({
  imports: [TypeOrmModule.forFeature([DataKey])],
  providers: [DataKeysRepository, DataKeys],
  exports: [DataKeys],
})
export class DataKeysModule {}
