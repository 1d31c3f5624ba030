import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { RevocationsController } from './revocations.controller';

/** GET /api/auth/revocations: the feed that resource services poll (SPEC §8). */
@Module({
  imports: [SessionsModule],
  controllers: [RevocationsController],
})
export class RevocationsModule {}
