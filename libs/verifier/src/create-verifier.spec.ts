/**
 * createVerifier against a JWKS server this test runs on 127.0.0.1 (SPEC §3, §8): every rejection
 * rule through the remote key set, the kid-flood cooldown, rotation, and the issuer going down.
 * Only `Date` is faked, to step over jose's cooldown and cache age; timers and HTTP are real.
 */
import { generateKeyPair, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { AUDIENCE, claims, ISSUER, jwksServer, serve, SigningKey, signingKey, TestServer, token } from '../test/servers';
import { createVerifier, TokenVerificationError, Verifier, VerifierOptions } from './index';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A genuinely signed ES256 token over any header and payload, even ones jose would refuse to sign. */
async function forge(key: SigningKey, header: Record<string, unknown>, payload: Record<string, unknown> | string): Promise<string> {
  const signingInput = `${b64({ alg: 'ES256', kid: key.kid, typ: 'at+jwt', ...header })}.${b64(payload)}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, Buffer.from(signingInput));
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'accepted',
    (error: unknown) => (error instanceof TokenVerificationError ? error.reason : `unexpected ${String(error)}`),
  );
}

const FAKE_DATE_ONLY: { doNotFake: ('nextTick' | 'setImmediate' | 'clearImmediate' | 'setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval' | 'queueMicrotask' | 'hrtime' | 'performance')[] } = {
  doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'],
};
const advance = (seconds: number) => jest.setSystemTime(Date.now() + seconds * 1000);

describe('createVerifier', () => {
  let key: SigningKey;
  let server: TestServer & { keys: SigningKey[] };
  let verifier: Verifier;
  const make = (options: Partial<VerifierOptions> = {}) =>
    createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: `${server.url}/.well-known/jwks.json`, ...options });

  beforeEach(async () => {
    jest.useFakeTimers(FAKE_DATE_ONLY);
    key = await signingKey('ES256');
    server = await jwksServer([key]);
    verifier = make();
  });
  afterEach(async () => {
    verifier.close();
    jest.useRealTimers();
    await server.close();
  });

  it('accepts a valid token, resolving its claims, with one JWKS fetch', async () => {
    const payload = claims();
    const valid = await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey);
    await expect(verifier.verify(valid)).resolves.toEqual(payload);
    await expect(verifier.verify(valid)).resolves.toEqual(payload);
    expect(server.requests).toHaveLength(1);
  });

  it.each(['RS256', 'EdDSA'] as const)('accepts %s keys of the JWKS', async (alg) => {
    const other = await signingKey(alg);
    server.keys.push(other);
    await expect(verifier.verify(await token(other))).resolves.toMatchObject({ iss: ISSUER });
  });

  it('allows 5 s of clock skew by default, and no more', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(reasonOf(verifier.verify(await token(key, { exp: now - 4 })))).resolves.toBe('accepted');
    await expect(reasonOf(verifier.verify(await token(key, { iat: now + 4 })))).resolves.toBe('accepted');
    await expect(reasonOf(verifier.verify(await token(key, { exp: now - 6 })))).resolves.toBe('expired');
    await expect(reasonOf(verifier.verify(await token(key, { iat: now + 6 })))).resolves.toBe('issued_in_future');
  });

  describe('refuses every token that breaks a rule of SPEC §3', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const cases: [string, string, () => Promise<unknown>][] = [
      ['alg none', 'alg_not_allowed', async () => forge(key, { alg: 'none' }, claims())],
      ['alg none, empty signature', 'malformed', async () => `${b64({ alg: 'none', kid: key.kid, typ: 'at+jwt' })}.${b64(claims())}.`],
      ['HS256 signed with the public key', 'alg_not_allowed', async () =>
        new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' }).sign(Buffer.from(JSON.stringify(key.jwk)))],
      ['RS256 token naming the ES256 key (each key has its own algorithm)', 'unknown_kid', async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' }).sign(privateKey);
      }],
      ['unknown kid', 'unknown_kid', () => forge(key, { kid: 'key-of-nobody' }, claims())],
      ['missing kid', 'unknown_kid', () => forge(key, { kid: undefined }, claims())],
      ['jku header', 'forbidden_header', () => forge(key, { jku: 'http://127.0.0.1:9/jwks.json' }, claims())],
      ['x5u header', 'forbidden_header', () => forge(key, { x5u: 'http://127.0.0.1:9/cert.pem' }, claims())],
      ['jwk header', 'forbidden_header', () => forge(key, { jwk: key.jwk }, claims())],
      ['x5c header', 'forbidden_header', () => forge(key, { x5c: ['MIIB'] }, claims())],
      ['crit header', 'unsupported_crit', () => forge(key, { crit: ['b64'], b64: false }, claims())],
      ['typ JWT', 'bad_typ', () => token(key, {}, { typ: 'JWT' })],
      ['typ missing', 'bad_typ', () => token(key, {}, { typ: undefined })],
      ['typ rt+jwt', 'bad_typ', () => token(key, {}, { typ: 'rt+jwt' })],
      ...['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'client_id', 'roles'].map((claim): [string, string, () => Promise<unknown>] =>
        [`${claim} missing`, 'missing_claim', () => token(key, { [claim]: undefined })]),
      ['wrong iss', 'wrong_issuer', () => token(key, { iss: 'https://attacker.test' })],
      ['aud of another service', 'wrong_audience', () => token(key, { aud: 'tessera' })],
      ['aud list without ours', 'wrong_audience', () => token(key, { aud: ['tessera', 'billing'] })],
      ['expired', 'expired', () => token(key, { exp: now() - 60, iat: now() - 960 })],
      ['iat in the future', 'issued_in_future', () => token(key, { iat: now() + 60 })],
      ['bad signature', 'bad_signature', async () => { const t = await token(key); return `${t.slice(0, -6)}AAAAAA`; }],
      ['signature of another key', 'bad_signature', async () => forge({ ...(await signingKey('ES256')), kid: key.kid }, {}, claims())],
      ['empty signature', 'malformed', async () => (await token(key)).replace(/[^.]+$/, '')],
      ['over 8 KiB', 'too_large', () => token(key, { pad: 'x'.repeat(8192) })],
      ['two parts', 'malformed', async () => (await token(key)).split('.').slice(0, 2).join('.')],
      ['not a string', 'malformed', async () => 42],
      ['garbage', 'malformed', async () => 'not a token'],
    ];
    it.each(cases)('%s: %s', async (_name, reason, make) => {
      await expect(reasonOf(verifier.verify(await make()))).resolves.toBe(reason);
    });
  });

  it('kid flood: 100 parallel random kids cost one JWKS fetch per 30 s cooldown', async () => {
    await verifier.verify(await token(key));
    expect(server.requests).toHaveLength(1);
    const flood = async () => {
      const tokens = await Promise.all(Array.from({ length: 100 }, () => token(key, {}, { kid: randomUUID() })));
      return Promise.all(tokens.map((t) => reasonOf(verifier.verify(t))));
    };
    expect(new Set(await flood())).toEqual(new Set(['unknown_kid']));
    expect(server.requests).toHaveLength(1); // within the cooldown: not one more fetch
    advance(31);
    expect(new Set(await flood())).toEqual(new Set(['unknown_kid']));
    expect(server.requests).toHaveLength(2); // after it: one fetch, shared by all 100
    expect(new Set(await flood())).toEqual(new Set(['unknown_kid']));
    expect(server.requests).toHaveLength(2);
  });

  it('a rotated key is picked up: by its unknown kid after the cooldown, or when the cache reaches max-age', async () => {
    await verifier.verify(await token(key));
    const next = await signingKey('ES256');
    server.keys.push(next);
    await expect(reasonOf(verifier.verify(await token(next)))).resolves.toBe('unknown_kid'); // cooldown: not asked yet
    advance(31);
    await expect(reasonOf(verifier.verify(await token(next)))).resolves.toBe('accepted');
    expect(server.requests).toHaveLength(2);

    const third = await signingKey('ES256');
    server.keys.push(third);
    advance(300); // the cache is as old as the JWKS max-age: refetched before use
    await expect(reasonOf(verifier.verify(await token(key)))).resolves.toBe('accepted');
    expect(server.requests).toHaveLength(3);
    server.keys.splice(0, server.keys.length, third); // the old keys are retired
    advance(301);
    await expect(reasonOf(verifier.verify(await token(key)))).resolves.toBe('unknown_kid');
    await expect(reasonOf(verifier.verify(await token(third)))).resolves.toBe('accepted');
  });

  it('issuer down: cached keys keep working until max-age; an unknown kid is refused at once', async () => {
    const known = await token(key);
    await verifier.verify(known);
    await server.close();
    await expect(reasonOf(verifier.verify(known))).resolves.toBe('accepted');
    advance(31);
    await expect(reasonOf(verifier.verify(await token(key, {}, { kid: 'rotated-meanwhile' })))).resolves.toBe('unknown_kid');
    await expect(reasonOf(verifier.verify(await token(key)))).resolves.toBe('accepted');
    advance(300); // never trusted beyond the JWKS max-age
    await expect(reasonOf(verifier.verify(await token(key)))).resolves.toBe('unknown_kid');
  });

  it('issuer failing: after a failed fetch, unknown kids and a stale cache wait the cooldown too (no flood of a struggling issuer)', async () => {
    let failing = false;
    const flaky = await serve((_req, res) => {
      if (failing) res.writeHead(503).end('{}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.jwk] }));
    });
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: flaky.url });
    try {
      await expect(reasonOf(v.verify(await token(key)))).resolves.toBe('accepted');
      failing = true;
      advance(31);
      for (let i = 0; i < 50; i += 1) {
        await expect(reasonOf(v.verify(await token(key, {}, { kid: randomUUID() })))).resolves.toBe('unknown_kid');
      }
      expect(flaky.requests).toHaveLength(2); // one failed fetch, then the cooldown
      await expect(reasonOf(v.verify(await token(key)))).resolves.toBe('accepted'); // the cached key still works
      advance(300); // stale: refused, and still not fetched again within the cooldown of the failure
      for (let i = 0; i < 20; i += 1) await expect(reasonOf(v.verify(await token(key)))).resolves.toBe('unknown_kid');
      expect(flaky.requests).toHaveLength(3);
      failing = false;
      advance(31); // the issuer is back: the next request fetches and succeeds
      await expect(reasonOf(v.verify(await token(key)))).resolves.toBe('accepted');
      expect(flaky.requests).toHaveLength(4);
    } finally {
      v.close();
      await flaky.close();
    }
  });

  it('issuer that accepts the connection and never answers: refused as unknown_kid after the 5 s timeout, never a hang', async () => {
    const silent = await jwksServer([key], { hang: true });
    const hanging = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: `${silent.url}/jwks.json` });
    try {
      await expect(reasonOf(hanging.verify(await token(key)))).resolves.toBe('unknown_kid');
    } finally {
      hanging.close();
      await silent.close();
    }
  }, 15_000);

  it('a JWKS answered with an error status or bad JSON: unknown_kid', async () => {
    for (const respond of [(res: import('node:http').ServerResponse) => res.writeHead(500).end('{}'), (res: import('node:http').ServerResponse) => res.writeHead(200).end('not json')]) {
      const broken = await serve((_req, res) => respond(res));
      const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: broken.url });
      try {
        await expect(reasonOf(v.verify(await token(key)))).resolves.toBe('unknown_kid');
      } finally {
        v.close();
        await broken.close();
      }
    }
  });

  it.each<[string, Partial<VerifierOptions>, ErrorConstructor]>([
    ['clockTolerance 61', { clockTolerance: 61 }, RangeError],
    ['clockTolerance -1', { clockTolerance: -1 }, RangeError],
    ['clockTolerance "5"', { clockTolerance: '5' as unknown as number }, TypeError],
    ['empty issuer', { issuer: '' }, TypeError],
    ['empty audience', { audience: '' }, TypeError],
    ['HS256 in algorithms', { algorithms: ['HS256' as 'RS256'] }, TypeError],
    ['no algorithms', { algorithms: [] }, TypeError],
    ['relative jwksUri', { jwksUri: '/jwks.json' }, TypeError],
    ['file: jwksUri', { jwksUri: 'file:///etc/passwd' }, TypeError],
    ['revocations every 10 ms', { revocations: { url: 'http://127.0.0.1:9/feed', intervalMs: 10 } }, RangeError],
    ['signatureCheck "worker"', { signatureCheck: 'worker' as 'pool' }, TypeError],
  ])('refuses bad options at once: %s', (_name, options, type) => {
    expect(() => make(options)).toThrow(type);
  });

  it('accepts clockTolerance 60 and a narrower algorithm list, which then refuses other keys', async () => {
    const strict = make({ clockTolerance: 60, algorithms: ['RS256'] });
    await expect(reasonOf(strict.verify(await token(key)))).resolves.toBe('alg_not_allowed');
    strict.close();
  });
});
