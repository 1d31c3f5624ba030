import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { AppError } from '../common/app-error';
import { ACCESS_TOKEN_STRATEGY } from './access-token.strategy';

/** 401 `unauthorized` with `WWW-Authenticate: Bearer` for a missing token; the strategy's error for a bad one. */
@Injectable()
export class AccessTokenGuard extends AuthGuard(ACCESS_TOKEN_STRATEGY) {
  override handleRequest<T>(error: unknown, user: T): T {
    if (error) throw error instanceof AppError ? error : AppError.unauthorized('Invalid access token', true);
    if (!user) throw AppError.unauthorized('Authentication required');
    return user;
  }
}
