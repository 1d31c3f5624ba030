import { bearerTokenOf } from '@tessera/verifier/nest';
import { ExtractJwt } from 'passport-jwt';
import { Strategy } from 'passport-strategy';

export type BearerVerify = (token: string, done: (error: unknown, user?: unknown) => void) => void;

const extractBearer = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * A Passport strategy that only extracts the bearer token (with passport-jwt's extractor) and
 * hands it to a verify callback. passport-jwt's own Strategy verifies with jsonwebtoken, which
 * cannot check `typ` or `crit` and has no EdDSA, so verification stays in @tessera/verifier.
 */
export class BearerTokenStrategy extends Strategy {
  name = 'bearer-token';

  constructor(private readonly verify: BearerVerify) {
    super();
  }

  override authenticate(req: Parameters<Strategy['authenticate']>[0]): void {
    // The header rule (one header, exactly "Bearer" 1*SP b64token) is the shared one of @tessera/verifier;
    // passport-jwt's extractor then takes the token out.
    const token = bearerTokenOf(req as Parameters<typeof bearerTokenOf>[0]) !== null ? extractBearer(req) : null;
    if (!token) {
      this.fail('Bearer', 401);
      return;
    }
    this.verify(token, (error, user) => {
      if (error) this.error(error as Error);
      else if (!user) this.fail('Bearer', 401);
      else this.success(user);
    });
  }
}
