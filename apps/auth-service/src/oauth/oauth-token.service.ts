import { Inject, Injectable } from '@nestjs/common';
import { TokenLifecycleService } from '../auth/token-lifecycle.service';
import type { TokenResponseDto } from '../auth/dto/token-response.dto';
import type { RequestContext } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { TokenRequest } from './dto/token-request.dto';
import { checkTokenRequest } from './token-request';

/** RFC 6749 §6 over the one refresh path of SPEC §4 (rotation, grace, reuse detection, events). */
@Injectable()
export class OAuthTokenService {
  constructor(
    private readonly lifecycle: TokenLifecycleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  grant(request: TokenRequest, client: RequestContext): Promise<TokenResponseDto> {
    const { refreshToken } = checkTokenRequest(request, this.config.tokens.clientId);
    return this.lifecycle.refresh(refreshToken, client);
  }
}
