import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { MetadataController } from './metadata.controller';
import { OAuthTokenController } from './oauth-token.controller';
import { OAuthTokenService } from './oauth-token.service';

/** Standard OAuth clients (SPEC §2): the RFC 6749 token endpoint and the metadata. Thin: refresh itself is auth's. */
@Module({
  imports: [AuthModule],
  controllers: [OAuthTokenController, MetadataController],
  providers: [OAuthTokenService],
})
export class OAuthModule {}
