import { ForbiddenException, UnauthorizedException } from '@nestjs/common';

type HeaderSetter = { header?: (name: string, value: string) => unknown; setHeader?: (name: string, value: string) => unknown };

/**
 * A 401 in the Tessera error shape, with its RFC 6750 challenge both on the response (so that
 * Nest's default filter sends it) and on the exception (`headers`, for an application's own filter).
 */
export class BearerChallengeException extends UnauthorizedException {
  readonly headers: Record<string, string>;

  constructor(message: string, tokenPresented: boolean) {
    super({ statusCode: 401, error: 'unauthorized', message });
    // RFC 6750 §3: a request without credentials gets the bare challenge; a bad token, invalid_token.
    this.headers = { 'WWW-Authenticate': tokenPresented ? 'Bearer error="invalid_token"' : 'Bearer' };
  }

  /** Sets the challenge on a Fastify reply or an Express response. */
  applyTo(response: unknown): this {
    const reply = response as HeaderSetter | undefined;
    for (const [name, value] of Object.entries(this.headers)) {
      if (typeof reply?.header === 'function') reply.header(name, value);
      else if (typeof reply?.setHeader === 'function') reply.setHeader(name, value);
    }
    return this;
  }
}

export function missingRoles(required: readonly string[]): ForbiddenException {
  const what = `the ${required.join(' and ')} role${required.length > 1 ? 's' : ''}`;
  return new ForbiddenException({ statusCode: 403, error: 'forbidden', message: `This requires ${what}` });
}
