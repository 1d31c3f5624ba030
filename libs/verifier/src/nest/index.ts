/** @tessera/verifier/nest: the verifier as a NestJS module, guards and decorators (SPEC §8). */
export { TesseraVerifierModule } from './verifier.module';
export type { TesseraVerifierModuleAsyncOptions } from './verifier.module';
export { TESSERA_VERIFIER, TesseraAuthGuard, TesseraRolesGuard } from './guards';
export { Claims, Roles, ROLES_KEY } from './decorators';
export { BearerChallengeException } from './http-errors';
export { bearerTokenOf } from './bearer-token';
