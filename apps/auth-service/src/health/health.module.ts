import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SessionsModule } from '../sessions/sessions.module';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), SessionsModule],
  controllers: [HealthController],
})
export class HealthModule {}
