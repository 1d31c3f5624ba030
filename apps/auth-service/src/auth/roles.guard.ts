import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AccessTokenClaims } from '@tessera/verifier';
import { AppError } from '../common/app-error';

const ROLES_KEY = 'tessera:roles';

/** Every listed role is required. Use after AccessTokenGuard. */
export const Roles = (...roles: string[]) => SetMetadata(ROLES_KEY, roles);

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!required?.length) return true;
    const claims = context.switchToHttp().getRequest<{ user?: AccessTokenClaims }>().user;
    if (!claims) throw AppError.unauthorized();
    if (!required.every((role) => claims.roles.includes(role))) throw new AppError('forbidden', 'This requires the admin role');
    return true;
  }
}
