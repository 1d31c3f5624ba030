import { Controller, Get, UseGuards } from '@nestjs/common';
import type { AccessTokenClaims } from '@tessera/verifier';
import { Claims, Roles, TesseraAuthGuard } from '@tessera/verifier/nest';

/** The protected routes: trusted only through @tessera/verifier and the issuer's JWKS (SPEC §8). */
@Controller('api')
@UseGuards(TesseraAuthGuard)
export class ApiController {
  /** The verified claims, at the top level of the body. */
  @Get('hello')
  hello(@Claims() claims: AccessTokenClaims): AccessTokenClaims {
    return claims;
  }

  @Get('admin-only')
  @Roles('admin')
  adminOnly(@Claims('sub') sub: string): { ok: true; sub: string } {
    return { ok: true, sub };
  }
}

@Controller('health')
export class HealthController {
  /** Answers once the server listens: the verifier needs nothing else to start. */
  @Get('ready')
  ready(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
