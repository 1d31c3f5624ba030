import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { RequestContext } from '../common/request-context';
import { Metrics } from '../infra/metrics.service';
import { RefreshFailure } from '../sessions/rotation';
import { SecurityLogService } from '../security-log/security-log.service';
import { SessionsService } from '../sessions/sessions.service';
import { AccessTokenService } from './access-token.service';
import { AccessTokenVerifier } from './access-token.verifier';
import { TokenResponseDto } from './dto/token-response.dto';

const GRANT_MESSAGES: Record<RefreshFailure, string> = {
  unknown: 'Refresh token is not valid',
  expired: 'Refresh token expired',
  revoked: 'Session was revoked',
  reused: 'Refresh token was already used; the session is revoked',
  session_expired: 'Session reached its maximum age; sign in again',
};

/** Refresh, logout, logout-all and RFC 7009 revocation (SPEC §4). */
@Injectable()
export class TokenLifecycleService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokenService,
    private readonly verifier: AccessTokenVerifier,
    private readonly securityLog: SecurityLogService,
    private readonly metrics: Metrics,
  ) {}

  refresh(presented: string, context: RequestContext): Promise<TokenResponseDto> {
    return this.metrics.counted('refresh', this.rotate(presented, context));
  }

  private async rotate(presented: string, context: RequestContext): Promise<TokenResponseDto> {
    const result = await this.sessions.rotate(presented, context);
    if (!result.ok) {
      // A reuse was recorded with the revocation; other failures recorded no event, so theirs is batched.
      if (result.reason !== 'reused') {
        this.securityLog.enqueue({ type: 'refresh_failed', userId: result.userId, sessionId: result.sessionId, details: { reason: result.reason } }, context);
      } else this.metrics.reuseDetected();
      throw invalidGrant(result.reason);
    }
    // Roles and status were read under the rotation's lock: a role change or a disabled account takes effect here.
    return this.accessTokens.tokenResponse(result.user, result);
  }

  /** Unknown or already used tokens answer 204 too, and are no reuse. */
  async logout(presented: string, context: RequestContext): Promise<void> {
    const token = await this.sessions.sessionOfToken(presented);
    if (token && !token.used) {
      await this.sessions.revoke({ ids: [token.sessionId] }, 'logout', context, (ids) => ids.map((id) => ({ type: 'logout', userId: token.userId, sessionId: id })));
    }
  }

  async logoutAll(userId: string, context: RequestContext): Promise<void> {
    await this.sessions.revoke({ userId }, 'logout_all', context, (ids) => [{ type: 'logout_all', userId, details: { sessions: ids.length } }]);
  }

  /** RFC 7009: a refresh token or a valid access token revokes its session; anything else changes nothing. */
  async revoke(token: string, context: RequestContext): Promise<void> {
    const refresh = await this.sessions.sessionOfToken(token);
    const via = (userId: string) => (ids: string[]) =>
      ids.map((id) => ({ type: 'session_revoked' as const, userId, sessionId: id, details: { via: 'revocation_endpoint' } }));
    if (refresh) {
      await this.sessions.revoke({ ids: [refresh.sessionId] }, 'token_revoked', context, via(refresh.userId));
      return;
    }
    const claims = await this.verifier.verify(token).catch(() => undefined);
    if (claims) await this.sessions.revoke({ ids: [claims.sid], userId: claims.sub }, 'token_revoked', context, via(claims.sub));
  }
}

function invalidGrant(reason: RefreshFailure): AppError {
  return new AppError('invalid_grant', GRANT_MESSAGES[reason], undefined, { reason });
}
