import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataKeysModule } from '../keys/data-keys.module';
import { ChainSealer } from './chain-sealer.service';
import { SecurityLogRetention } from './retention.service';
import { SecurityLog } from './security-log.entity';
import { SecurityLogRepository } from './security-log.repository';
import { SecurityLogService } from './security-log.service';

@Module({
  imports: [TypeOrmModule.forFeature([SecurityLog]), DataKeysModule],
  providers: [SecurityLogRepository, SecurityLogService, ChainSealer, SecurityLogRetention],
  exports: [SecurityLogService, SecurityLogRepository, ChainSealer, SecurityLogRetention],
})
export class SecurityLogModule {}
