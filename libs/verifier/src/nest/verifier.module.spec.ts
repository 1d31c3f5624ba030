/** TesseraVerifierModule in a Nest app on Fastify, against a JWKS and a feed server on 127.0.0.1. */
import { Controller, Get, Inject, Injectable, Module, UseGuards } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AUDIENCE, eventually, ISSUER, jwksServer, serve, SigningKey, signingKey, TestServer, token } from '../../test/servers';
import type { AccessTokenClaims } from '../verify-token';
import { Claims, Roles, TESSERA_VERIFIER, TesseraAuthGuard, TesseraRolesGuard, TesseraVerifierModule } from './index';
import type { Verifier } from '../create-verifier';

@Controller()
class ProbeController {
  constructor(@Inject(TESSERA_VERIFIER) readonly verifier: Verifier) {}

  @Get('me')
  @UseGuards(TesseraAuthGuard)
  me(@Claims() claims: AccessTokenClaims, @Claims('sid') sid: string) {
    return { sub: claims.sub, sid };
  }

  @Get('ops')
  @UseGuards(TesseraAuthGuard)
  @Roles('ops', 'admin')
  ops() {
    return { ok: true };
  }

  @Get('roles-only')
  @UseGuards(TesseraRolesGuard)
  @Roles('admin')
  rolesOnly() {
    return { ok: true };
  }
}

@Injectable()
class Settings {
  jwksUri = '';
}
@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

describe('TesseraVerifierModule', () => {
  let key: SigningKey;
  let jwks: TestServer;
  let feed: TestServer;
  let app: NestFastifyApplication | undefined;
  beforeEach(async () => {
    key = await signingKey('RS256');
    jwks = await jwksServer([key]);
    feed = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[],"next_cursor":"c"}'));
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await jwks.close();
    await feed.close();
  });

  async function start(imports: Parameters<typeof Test.createTestingModule>[0]['imports']): Promise<string> {
    const moduleRef = await Test.createTestingModule({ imports, controllers: [ProbeController] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }
  const get = async (url: string, path: string, bearer?: string) => {
    const res = await fetch(`${url}${path}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.json() };
  };

  it('forRoot: guard, @Claims, @Roles (every role), with Nest\'s own exception filter answering in the SPEC shape', async () => {
    const url = await start([TesseraVerifierModule.forRoot({ issuer: ISSUER, audience: AUDIENCE, jwksUri: jwks.url })]);
    const user = await token(key, { roles: ['ops'] });
    const claims = JSON.parse(Buffer.from(user.split('.')[1], 'base64url').toString());
    expect(await get(url, '/me', user)).toEqual({ status: 200, challenge: null, body: { sub: claims.sub, sid: claims.sid } });
    expect(await get(url, '/me')).toEqual({ status: 401, challenge: 'Bearer', body: { statusCode: 401, error: 'unauthorized', message: 'Authentication required' } });
    expect(await get(url, '/me', await token(key, { exp: 1 }))).toEqual({
      status: 401, challenge: 'Bearer error="invalid_token"', body: { statusCode: 401, error: 'unauthorized', message: 'Access token expired' },
    });
    expect(await get(url, '/ops', user)).toEqual({ status: 403, challenge: null, body: { statusCode: 403, error: 'forbidden', message: 'This requires the ops and admin roles' } });
    expect((await get(url, '/ops', await token(key, { roles: ['admin', 'ops'] }))).status).toBe(200);
    expect(await get(url, '/roles-only', user)).toMatchObject({ status: 401, challenge: 'Bearer' }); // nothing set request.user
  });

  it('forRootAsync: options from an injected provider; closing the app stops the revocation feed', async () => {
    const url = await start([
      TesseraVerifierModule.forRootAsync({
        imports: [SettingsModule],
        inject: [Settings],
        useFactory: (settings: Settings) => ({
          issuer: ISSUER, audience: AUDIENCE, jwksUri: settings.jwksUri || jwks.url, revocations: { url: feed.url, intervalMs: 100 },
        }),
      }),
    ]);
    expect((await get(url, '/me', await token(key))).status).toBe(200);
    await eventually(() => feed.requests.length >= 2);
    await app!.close();
    app = undefined;
    const polls = feed.requests.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(feed.requests.length).toBe(polls);
  });

  it('bad options stop the app at start', async () => {
    await expect(start([TesseraVerifierModule.forRoot({ issuer: ISSUER, audience: AUDIENCE, jwksUri: jwks.url, clockTolerance: 120 })])).rejects.toThrow(RangeError);
  });
});
