import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { AccessTokenClaims } from '../verify-token';

export const ROLES_KEY = 'tessera:roles';

/** Every listed role is required (403 `forbidden` otherwise); on a handler or a controller. */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

/** The request's verified claims (set by TesseraAuthGuard), or one of them: `@Claims('sub')`. */
export const Claims = createParamDecorator((claim: keyof AccessTokenClaims | undefined, ctx: ExecutionContext): unknown => {
  const claims = ctx.switchToHttp().getRequest<{ user?: AccessTokenClaims }>().user;
  return claim === undefined ? claims : claims?.[claim];
});
