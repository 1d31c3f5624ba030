import { ExtractJwt } from 'passport-jwt';
import { Strategy } from 'passport-strategy';

export type BearerVerify = (token: string, done: (error: unknown, user?: unknown) => void) => void;

const extractBearer = ExtractJwt.fromAuthHeaderAsBearerToken();
/** RFC 6750 §2.1: "Bearer" 1*SP b64token, and nothing after it (the extractor alone would take the first of two tokens). */
const BEARER_HEADER = /^Bearer +[A-Za-z0-9\-._~+/]+=*$/i;

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
    const request = req as { headers?: Record<string, string | string[] | undefined>; rawHeaders?: string[]; raw?: { rawHeaders?: string[] } };
    const header = request.headers?.authorization;
    // Node keeps the first of several Authorization headers: two are ambiguous, so refused.
    const count = (request.raw?.rawHeaders ?? request.rawHeaders ?? []).filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'authorization').length;
    const token = count <= 1 && typeof header === 'string' && BEARER_HEADER.test(header) ? extractBearer(req) : null;
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
