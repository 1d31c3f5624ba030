/**
 * Attacks as tests (SPEC §3, RFC 8725, RFC 9068): forged tokens, run for every signing algorithm.
 * Valid tokens are signed with jose; forged ones are built by hand (header and payload segments
 * signed with WebCrypto) wherever jose refuses to produce them.
 */
import { createPublicKey, createSecretKey } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, generateSecret, SignJWT } from 'jose';
import {
  KeyResolver,
  MAX_TOKEN_LENGTH,
  SigningAlgorithm,
  TokenRejectionReason,
  TokenVerificationError,
  VerifyTokenOptions,
  verifyAccessToken,
} from './index';

const ISSUER = 'https://id.tessera.test';
const AUDIENCE = 'tessera';
const KID = 'key-2026-11';
const NOW = 1_790_000_000;
const CURRENT_DATE = new Date(NOW * 1000);
const CLAIMS = {
  iss: ISSUER,
  sub: '0b6f3c1e-5d0a-4a57-9a43-2f4a8f1c9e01',
  aud: AUDIENCE,
  exp: NOW + 900,
  iat: NOW,
  jti: '6f1d2b8a-0c3e-4b9f-8e7d-1a2b3c4d5e6f',
  sid: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  client_id: 'tessera',
  roles: ['user'],
};
const REQUIRED = Object.keys(CLAIMS);
const ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA', 'HS256'];
const SUBTLE_PARAMS: Record<SigningAlgorithm, AlgorithmIdentifier | EcdsaParams> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  EdDSA: { name: 'Ed25519' },
  HS256: { name: 'HMAC' },
};
// Reasons decided from the token alone: the key resolver must not even be asked.
const DECIDED_BEFORE_KEY = new Set<TokenRejectionReason>([
  'malformed', 'too_large', 'alg_not_allowed', 'forbidden_header', 'unsupported_crit', 'bad_typ',
]);

interface Ctx {
  alg: SigningAlgorithm;
  signKey: CryptoKey;
  verifyKey: CryptoKey;
  /** Another key of the same algorithm: the attacker's, published under our kid. */
  otherSignKey: CryptoKey;
  otherVerifyKey: CryptoKey;
  /** The algorithm of a confusion attack against `alg`, and what the attacker signs it with. */
  crossAlg: SigningAlgorithm;
  crossSignKey: CryptoKey | Uint8Array;
  /** The public key as PEM and as SPKI DER bytes (asymmetric algorithms only). */
  publicPem: Uint8Array;
  publicDer: Uint8Array;
}

type Json = Record<string, unknown>;
type Segment = Json | string | Uint8Array;

/** base64url of an object (JSON), of raw text (a string, used as is) or of raw bytes. */
function b64(value: Segment): string {
  const bytes = value instanceof Uint8Array ? value : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  return Buffer.from(bytes).toString('base64url');
}
const header = (ctx: Ctx, extra: Json = {}): Json => ({ alg: ctx.alg, kid: KID, typ: 'at+jwt', ...extra });
// JSON.stringify drops undefined members: `claims({ sub: undefined })` has no `sub`.
const claims = (extra: Json = {}): Json => ({ ...CLAIMS, ...extra });

async function signSegments(alg: SigningAlgorithm, key: CryptoKey, h: string, p: string): Promise<string> {
  const signature = await crypto.subtle.sign(SUBTLE_PARAMS[alg], key, Buffer.from(`${h}.${p}`));
  return `${h}.${p}.${Buffer.from(signature).toString('base64url')}`;
}
/** A token with a genuine signature over whatever header and payload are given. */
const sign = (ctx: Ctx, h: Segment, p: Segment, key = ctx.signKey, alg = ctx.alg): Promise<string> =>
  signSegments(alg, key, b64(h), b64(p));
const valid = (ctx: Ctx, extraHeader: Json = {}, extraClaims: Json = {}): Promise<string> =>
  sign(ctx, header(ctx, extraHeader), claims(extraClaims));
/** JSON whose `member` string holds the byte 0xFF, which is never UTF-8 (RFC 8725 §3.7). */
function withInvalidUtf8(value: Json, member: string): Uint8Array {
  const [before, after] = JSON.stringify({ ...value, [member]: '#' }).split('"#"');
  return Buffer.concat([Buffer.from(`${before}"`), Uint8Array.of(0xff), Buffer.from(`"${after}`)]);
}
/** A token of the confusion algorithm (`crossAlg`), signed by jose as an attacker would. */
const crossSigned = (ctx: Ctx): Promise<string> =>
  new SignJWT(claims()).setProtectedHeader({ alg: ctx.crossAlg, kid: KID, typ: 'at+jwt' }).sign(ctx.crossSignKey);
const parts = (token: string): [string, string, string] => token.split('.') as [string, string, string];

/** Changes one byte of the signature, keeping its base64url canonical. */
function flipSignatureByte(token: string, index: number): string {
  const [h, p, s] = parts(token);
  const bytes = Buffer.from(s, 'base64url');
  bytes[index] ^= 0x01;
  return `${h}.${p}.${bytes.toString('base64url')}`;
}
/** Changes only the unused low bits of the signature's last character: same bytes, another spelling. */
function nonCanonicalSignature(token: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet[alphabet.indexOf(token.at(-1)!) ^ 1];
  return token.slice(0, -1) + last;
}
/** A genuinely signed token of exactly `length` characters (a `pad` claim fills the payload). */
async function tokenOfLength(ctx: Ctx, length: number): Promise<string> {
  const signatureLength = parts(await valid(ctx))[2].length;
  for (let spaces = 0; spaces < 3; spaces += 1) {
    const h = b64(JSON.stringify(header(ctx)).replace(/}$/, `${' '.repeat(spaces)}}`));
    const payloadLength = length - h.length - signatureLength - 2;
    if (payloadLength % 4 === 1) continue; // no byte count encodes to that length
    const bytes = Math.floor((payloadLength * 3) / 4);
    const pad = 'x'.repeat(bytes - JSON.stringify(claims({ pad: '' })).length);
    const token = await signSegments(ctx.alg, ctx.signKey, h, b64(claims({ pad })));
    expect(token).toHaveLength(length);
    return token;
  }
  throw new Error('unreachable: three header lengths cover every payload length');
}

const baseOptions = (ctx: Ctx): VerifyTokenOptions => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: [ctx.alg],
  currentDate: CURRENT_DATE,
});
// Deliberately naive (ignores `alg`): verification must hold even when the resolver does not help.
const naiveResolver = (ctx: Ctx): KeyResolver => ({ kid }) => (kid === KID ? ctx.verifyKey : undefined);

async function rejectionOf(promise: Promise<unknown>): Promise<{ type: string; reason?: string; message?: string }> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof TokenVerificationError) return { type: 'TokenVerificationError', reason: error.reason, message: error.message };
  return { type: error === undefined ? 'accepted' : String((error as Error)?.name ?? typeof error) };
}

interface Rejection {
  name: string;
  reason: TokenRejectionReason;
  token: (ctx: Ctx) => unknown;
  options?: (ctx: Ctx) => Partial<VerifyTokenOptions>;
  resolver?: (ctx: Ctx) => KeyResolver;
}

function rejections(alg: SigningAlgorithm): Rejection[] {
  const asymmetric = alg !== 'HS256';
  const both = (ctx: Ctx) => ({ algorithms: [ctx.alg, ctx.crossAlg] });
  const swapAlg = async (ctx: Ctx) => {
    const [, p, s] = parts(await valid(ctx));
    return `${b64(header(ctx, { alg: ctx.crossAlg }))}.${p}.${s}`;
  };
  const list: Rejection[] = [
    // Shape: nothing but a string of three non-empty base64url parts, at most 8 KiB.
    ...[undefined, null, 42, {}, [], true].map((input): Rejection => ({
      name: `non-string input ${JSON.stringify(input) ?? 'undefined'}`, reason: 'malformed', token: () => input,
    })),
    { name: 'the valid token as bytes', reason: 'malformed', token: async (c) => Buffer.from(await valid(c)) },
    { name: 'empty string', reason: 'malformed', token: () => '' },
    { name: `${MAX_TOKEN_LENGTH + 1} characters, validly signed`, reason: 'too_large', token: (c) => tokenOfLength(c, MAX_TOKEN_LENGTH + 1) },
    { name: '10 MB of dots', reason: 'too_large', token: () => '.'.repeat(10_000_000) },
    { name: 'two parts', reason: 'malformed', token: async (c) => parts(await valid(c)).slice(0, 2).join('.') },
    { name: 'four parts', reason: 'malformed', token: async (c) => `${await valid(c)}.${parts(await valid(c))[2]}` },
    { name: 'five parts (JWE shape)', reason: 'malformed', token: () => 'eyJh.eyJi.eyJj.eyJk.eyJl' },
    { name: 'empty signature', reason: 'malformed', token: async (c) => `${parts(await valid(c)).slice(0, 2).join('.')}.` },
    { name: 'empty payload', reason: 'malformed', token: async (c) => { const [h, , s] = parts(await valid(c)); return `${h}..${s}`; } },
    { name: 'empty header', reason: 'malformed', token: async (c) => `.${parts(await valid(c)).slice(1).join('.')}` },
    { name: '"Bearer " prefix', reason: 'malformed', token: async (c) => `Bearer ${await valid(c)}` },
    { name: 'trailing newline', reason: 'malformed', token: async (c) => `${await valid(c)}\n` },
    { name: 'surrounding spaces', reason: 'malformed', token: async (c) => ` ${await valid(c)} ` },
    { name: 'base64 "+" and "/" characters', reason: 'malformed', token: async (c) => (await valid(c)).replace(/-/g, '+').replace(/_/g, '/') + '+/' },
    { name: '"=" padding', reason: 'malformed', token: async (c) => `${await valid(c)}==` },
    { name: 'non-ASCII character', reason: 'malformed', token: async (c) => `${await valid(c)}é` },
    { name: 'non-canonical base64url signature', reason: 'malformed', token: async (c) => nonCanonicalSignature(await valid(c)) },
    { name: 'segment of impossible length', reason: 'malformed', token: async (c) => { const [h, p] = parts(await valid(c)); return `${h}.${p}.A`; } },
    ...['null', '[]', '"at+jwt"', '42', 'true', 'not json', `{"alg":"${alg}"`].map((raw): Rejection => ({
      name: `header ${raw}`, reason: 'malformed', token: (c) => sign(c, raw, claims()),
    })),
    { name: 'header of invalid UTF-8', reason: 'malformed', token: (c) => sign(c, withInvalidUtf8(header(c), 'kid'), claims()) },
    ...['null', '"claims"', '42', 'not json', '{"sub":'].map((raw): Rejection => ({
      name: `payload ${raw}`, reason: 'malformed', token: (c) => sign(c, header(c), raw),
    })),
    { name: 'payload array of the claims', reason: 'malformed', token: (c) => sign(c, header(c), JSON.stringify([claims()])) },
    { name: 'payload of invalid UTF-8', reason: 'malformed', token: (c) => sign(c, header(c), withInvalidUtf8(claims(), 'sub')) },

    // alg: an allow-list fixed by configuration, compared exactly (RFC 8725 §3.1).
    ...['none', 'None', 'NONE', 'nOnE'].flatMap((none): Rejection[] => [
      { name: `alg ${none}, empty signature`, reason: 'malformed', token: (c) => `${b64(header(c, { alg: none }))}.${b64(claims())}.` },
      { name: `alg ${none}, signature present`, reason: 'alg_not_allowed', token: (c) => sign(c, header(c, { alg: none }), claims()) },
    ]),
    ...[undefined, null, 7, [alg], alg.toLowerCase(), `${alg} `, 'Ed25519', 'PS256'].map((bad): Rejection => ({
      name: `alg ${JSON.stringify(bad) ?? 'missing'}`, reason: 'alg_not_allowed', token: (c) => sign(c, header(c, { alg: bad }), claims()),
    })),
    {
      name: asymmetric ? 'HS256 signed with the public key PEM as HMAC secret' : 'RS256 signed with the attacker\'s RSA key',
      reason: 'alg_not_allowed',
      token: crossSigned,
    },
    ...(asymmetric
      ? [{
        name: 'HS256 signed with the public key SPKI DER bytes as HMAC secret',
        reason: 'alg_not_allowed' as const,
        token: (c: Ctx) => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: KID, typ: 'at+jwt' }).sign(c.publicDer),
      }]
      : []),
    {
      name: `${asymmetric ? 'HS256 with the public key as secret' : 'RS256 token'} when both algorithms are allowed`,
      reason: 'bad_signature',
      token: crossSigned,
      options: both,
    },
    {
      name: 'cross-algorithm token with a KeyObject from the resolver',
      reason: 'bad_signature',
      token: crossSigned,
      options: both,
      resolver: (c) => async () => (asymmetric ? createPublicKey(c.publicPem.toString()) : createSecretKey(await secretBytes(c))),
    },
    { name: 'alg swapped in the header, original signature', reason: 'alg_not_allowed', token: swapAlg },
    { name: 'alg swapped to another allowed one, original signature', reason: 'bad_signature', token: swapAlg, options: both },

    // Headers that name or carry a key are never fetched, never trusted (RFC 8725 §3.10).
    { name: 'jku header', reason: 'forbidden_header', token: (c) => valid(c, { jku: 'https://attacker.test/jwks.json' }) },
    { name: 'x5u header', reason: 'forbidden_header', token: (c) => valid(c, { x5u: 'https://attacker.test/cert.pem' }) },
    { name: 'x5c header', reason: 'forbidden_header', token: (c) => valid(c, { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] }) },
    {
      name: 'jwk header embedding the attacker\'s key, signed with it',
      reason: 'forbidden_header',
      token: async (c) => sign(c, header(c, { jwk: await exportJWK(c.otherVerifyKey) }), claims(), c.otherSignKey),
    },
    // No critical extension is understood; jose alone would accept b64 (RFC 7515 §4.1.11, RFC 7797).
    { name: 'crit ["exp"]', reason: 'unsupported_crit', token: (c) => valid(c, { crit: ['exp'], exp: NOW + 900 }) },
    { name: 'crit ["b64"] with b64 false', reason: 'unsupported_crit', token: (c) => valid(c, { crit: ['b64'], b64: false }) },
    { name: 'crit []', reason: 'unsupported_crit', token: (c) => valid(c, { crit: [] }) },
    { name: 'crit "b64" as a string', reason: 'unsupported_crit', token: (c) => valid(c, { crit: 'b64', b64: true }) },
    // typ: explicit typing, so an ID token or a refresh token is never an access token (RFC 9068 §2.1, RFC 8725 §3.11).
    ...[undefined, 'JWT', 'jwt', 'rt+jwt', 'id+jwt', 'application/jwt', 'at+jwt ', 'xat+jwt', 'application/at+jwt; q=1', 7, null, ['at+jwt']].map(
      (typ): Rejection => ({
        name: `typ ${JSON.stringify(typ) ?? 'missing'}`, reason: 'bad_typ', token: (c) => valid(c, { typ }),
      }),
    ),
    // kid: required, and only keys the resolver knows.
    ...[undefined, '', 7, null, {}].map((kid): Rejection => ({
      name: `kid ${JSON.stringify(kid) ?? 'missing'}`, reason: 'unknown_kid', token: (c) => valid(c, { kid }),
    })),
    { name: 'unknown kid', reason: 'unknown_kid', token: (c) => valid(c, { kid: 'key-of-nobody' }) },
    { name: 'resolver that throws', reason: 'unknown_kid', token: (c) => valid(c), resolver: () => () => { throw new Error('JWKS fetch failed'); } },
    { name: 'resolver that rejects', reason: 'unknown_kid', token: (c) => valid(c), resolver: () => () => Promise.reject(new Error('down')) },
    { name: 'resolver that throws a non-error', reason: 'unknown_kid', token: (c) => valid(c), resolver: () => () => { throw 'no key'; } },
    { name: 'resolver that returns null', reason: 'unknown_kid', token: (c) => valid(c), resolver: () => () => null as unknown as undefined },
    {
      name: 'cross-algorithm token, alg-aware resolver',
      reason: 'unknown_kid',
      token: crossSigned,
      options: both,
      resolver: (c) => ({ alg: a }) => (a === c.alg ? c.verifyKey : undefined),
    },

    // Signature.
    { name: 'first signature byte flipped', reason: 'bad_signature', token: async (c) => flipSignatureByte(await valid(c), 0) },
    { name: 'middle signature byte flipped', reason: 'bad_signature', token: async (c) => flipSignatureByte(await valid(c), 20) },
    { name: 'signature of another key with the same kid', reason: 'bad_signature', token: (c) => sign(c, header(c), claims(), c.otherSignKey) },
    {
      name: 'signature of another token',
      reason: 'bad_signature',
      token: async (c) => { const [h, p] = parts(await valid(c)); return `${h}.${p}.${parts(await valid(c, {}, { sub: 'x' }))[2]}`; },
    },
    {
      name: 'payload changed to admin, original signature',
      reason: 'bad_signature',
      token: async (c) => { const [h, , s] = parts(await valid(c)); return `${h}.${b64(claims({ roles: ['admin'] }))}.${s}`; },
    },
    {
      name: 'header respelled, original signature',
      reason: 'bad_signature',
      token: async (c) => { const [, p, s] = parts(await valid(c)); return `${b64(header(c, { typ: 'AT+JWT' }))}.${p}.${s}`; },
    },
    {
      name: 'truncated signature',
      reason: 'bad_signature',
      token: async (c) => { const [h, p, s] = parts(await valid(c)); return `${h}.${p}.${Buffer.from(s, 'base64url').subarray(1).toString('base64url')}`; },
    },
    {
      name: 'signature of zero bytes, right length',
      reason: 'bad_signature',
      token: async (c) => { const [h, p, s] = parts(await valid(c)); return `${h}.${p}.${Buffer.alloc(Buffer.from(s, 'base64url').length).toString('base64url')}`; },
    },
    {
      name: 'signature doubled',
      reason: 'bad_signature',
      token: async (c) => { const [h, p, s] = parts(await valid(c)); const sig = Buffer.from(s, 'base64url'); return `${h}.${p}.${Buffer.concat([sig, sig]).toString('base64url')}`; },
    },
    {
      name: asymmetric ? 'resolver returning an HMAC secret' : 'resolver returning another secret',
      reason: 'bad_signature',
      token: (c) => valid(c),
      resolver: (c) => () => (asymmetric ? new Uint8Array(32) : c.otherVerifyKey),
    },

    // Claims, all validly signed (RFC 9068 §2.2).
    ...REQUIRED.map((claim): Rejection => ({
      name: `${claim} missing`, reason: 'missing_claim', token: (c) => valid(c, {}, { [claim]: undefined }),
    })),
    { name: 'empty claims set', reason: 'missing_claim', token: (c) => sign(c, header(c), {}) },
    ...Object.entries({
      iss: [42, '', null],
      sub: ['', 42, null, ['u']],
      aud: [42, null, {}, [42], [AUDIENCE, 42]],
      exp: [String(NOW + 900), null, true],
      iat: [String(NOW), null, {}],
      jti: ['', 42],
      sid: ['', 42],
      client_id: ['', null],
      roles: ['admin', [1], {}, null, ['user', null]],
      nbf: ['soon', null],
    }).flatMap(([claim, values]) =>
      values.map((value): Rejection => ({
        name: `${claim} ${JSON.stringify(value)}`, reason: 'invalid_claim', token: (c) => valid(c, {}, { [claim]: value }),
      })),
    ),
    // JSON.parse reads 1e400 as Infinity: an exp that never comes.
    ...['exp', 'iat', 'nbf'].flatMap((claim) =>
      ['1e400', '-1e400'].map((raw): Rejection => ({
        name: `${claim} ${raw}`,
        reason: 'invalid_claim',
        token: (c) => sign(c, header(c), JSON.stringify(claims({ [claim]: 0 })).replace(`"${claim}":0`, `"${claim}":${raw}`)),
      })),
    ),
    ...['https://attacker.test', `${ISSUER}/`, ISSUER.toUpperCase()].map((iss): Rejection => ({
      name: `iss ${iss}`, reason: 'wrong_issuer', token: (c) => valid(c, {}, { iss }),
    })),
    ...['other-api', 'Tessera', ['other-api'], [], ['other-api', `${AUDIENCE}-x`]].map((aud): Rejection => ({
      name: `aud ${JSON.stringify(aud)}`, reason: 'wrong_audience', token: (c) => valid(c, {}, { aud }),
    })),
    { name: 'exp one second past', reason: 'expired', token: (c) => valid(c, {}, { exp: NOW - 1, iat: NOW - 901 }) },
    { name: 'exp now', reason: 'expired', token: (c) => valid(c, {}, { exp: NOW, iat: NOW - 900 }) },
    { name: 'exp past beyond the tolerance', reason: 'expired', token: (c) => valid(c, {}, { exp: NOW - 30 }), options: () => ({ clockTolerance: 30 }) },
    { name: 'iat one second ahead', reason: 'issued_in_future', token: (c) => valid(c, {}, { iat: NOW + 1 }) },
    { name: 'iat ahead beyond the tolerance', reason: 'issued_in_future', token: (c) => valid(c, {}, { iat: NOW + 31 }), options: () => ({ clockTolerance: 30 }) },
    { name: 'nbf ahead', reason: 'issued_in_future', token: (c) => valid(c, {}, { nbf: NOW + 1 }) },
  ];
  return list;
}

async function secretBytes(ctx: Ctx): Promise<Uint8Array> {
  return Buffer.from((await exportJWK(ctx.verifyKey)).k!, 'base64url');
}

async function makeContext(alg: SigningAlgorithm): Promise<Ctx> {
  const pair = async () => {
    if (alg === 'HS256') {
      const secret = await generateSecret('HS256', { extractable: true });
      return { privateKey: secret as CryptoKey, publicKey: secret as CryptoKey };
    }
    return generateKeyPair(alg, { extractable: true });
  };
  const [mine, other] = [await pair(), await pair()];
  const ctx: Ctx = {
    alg,
    signKey: mine.privateKey,
    verifyKey: mine.publicKey,
    otherSignKey: other.privateKey,
    otherVerifyKey: other.publicKey,
    crossAlg: alg === 'HS256' ? 'RS256' : 'HS256',
    crossSignKey: alg === 'HS256' ? (await generateKeyPair('RS256')).privateKey : new Uint8Array(),
    publicPem: new Uint8Array(),
    publicDer: new Uint8Array(),
  };
  if (alg !== 'HS256') {
    const pem = await exportSPKI(mine.publicKey);
    ctx.publicPem = Buffer.from(pem);
    ctx.publicDer = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    ctx.crossSignKey = ctx.publicPem; // the classic: the public key, as published, used as the HMAC secret
  }
  return ctx;
}

// Every rule, with the signature checked on libuv's pool (the default) and on the calling thread.
const SIGNATURE_CHECKS: NonNullable<VerifyTokenOptions['signatureCheck']>[] = ['pool', 'inline'];

describe.each(ALGORITHMS.flatMap((alg) => SIGNATURE_CHECKS.map((check) => [alg, check] as const)))('verifyAccessToken with %s, signature checked %s', (alg, signatureCheck) => {
  let ctx: Ctx;
  beforeAll(async () => {
    ctx = await makeContext(alg);
  });
  const verify = (token: unknown, options: Partial<VerifyTokenOptions> = {}, resolver = naiveResolver(ctx)) =>
    verifyAccessToken(token, resolver, { ...baseOptions(ctx), signatureCheck, ...options });

  describe('accepts', () => {
    it('a valid token, returning its claims', async () => {
      await expect(verify(await valid(ctx))).resolves.toEqual(CLAIMS);
    });

    it.each(['application/at+jwt', 'AT+JWT', 'Application/AT+JWT'])('typ %s', async (typ) => {
      await expect(verify(await valid(ctx, { typ }))).resolves.toEqual(CLAIMS);
    });

    it('an aud array that contains the audience, and extra claims and harmless headers', async () => {
      const extra = { aud: ['other-api', AUDIENCE], scope: 'read', nbf: NOW };
      const token = await valid(ctx, { 'x5t#S256': 'abc', x5t: 'def', cty: 'at+jwt' }, extra);
      await expect(verify(token)).resolves.toEqual({ ...CLAIMS, ...extra });
    });

    it('iat, nbf and exp within the clock tolerance', async () => {
      const token = await valid(ctx, {}, { iat: NOW + 60, nbf: NOW + 60, exp: NOW - 59 });
      await expect(verify(token, { clockTolerance: 60 })).resolves.toMatchObject({ iat: NOW + 60 });
      await expect(verify(token, { clockTolerance: 59 })).rejects.toBeInstanceOf(TokenVerificationError);
    });

    it('exp one second ahead', async () => {
      await expect(verify(await valid(ctx, {}, { exp: NOW + 1 }))).resolves.toMatchObject({ exp: NOW + 1 });
    });

    it(`a validly signed token of exactly ${MAX_TOKEN_LENGTH} characters`, async () => {
      await expect(verify(await tokenOfLength(ctx, MAX_TOKEN_LENGTH))).resolves.toMatchObject({ sub: CLAIMS.sub });
    });

    it('a jose-signed token, one allow-list of several, an async resolver of KeyObjects, asked for alg and kid only', async () => {
      const keyObject = alg === 'HS256' ? createSecretKey(await secretBytes(ctx)) : createPublicKey(ctx.publicPem.toString());
      const resolver = jest.fn(async () => keyObject);
      const token = await new SignJWT(CLAIMS).setProtectedHeader({ alg, kid: KID, typ: 'at+jwt' }).sign(ctx.signKey);
      await expect(verify(token, { algorithms: [ctx.crossAlg, alg] }, resolver)).resolves.toEqual(CLAIMS);
      expect(resolver).toHaveBeenCalledWith({ alg, kid: KID });
    });

    it('the current time by default', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = await valid(ctx, {}, { iat: now, exp: now + 60 });
      await expect(verify(token, { currentDate: undefined })).resolves.toMatchObject({ iat: now });
    });
  });

  describe('rejects', () => {
    it.each(rejections(alg))('$name: $reason', async ({ token, reason, options, resolver }) => {
      const resolve = jest.fn(resolver ? resolver(ctx) : naiveResolver(ctx));
      const raw = await token(ctx);
      const result = await rejectionOf(verify(raw, options?.(ctx), resolve));
      expect(result).toMatchObject({ type: 'TokenVerificationError', reason });
      if (typeof raw === 'string' && raw.length > 20) expect(result.message).not.toContain(raw.slice(-20));
      if (DECIDED_BEFORE_KEY.has(reason)) expect(resolve).not.toHaveBeenCalled();
    });

    it('every random mutation of a valid token with a TokenVerificationError', async () => {
      const token = await valid(ctx);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}"\\\u0000é';
      let seed = 20261124;
      const random = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const types = new Set<string>();
      for (let i = 0; i < 400; i += 1) {
        const at = random(token.length);
        const ch = alphabet[random(alphabet.length)];
        const mutated = [
          token.slice(0, at) + ch + token.slice(at + 1),
          token.slice(0, at) + token.slice(at + 1),
          token.slice(0, at) + ch + token.slice(at),
          token.slice(0, at),
        ][i % 4];
        if (mutated === token) continue;
        types.add((await rejectionOf(verify(mutated))).type);
      }
      expect([...types]).toEqual(['TokenVerificationError']);
    });
  });

  describe('options', () => {
    it.each([-1, 61, 600, Number.NaN, Number.POSITIVE_INFINITY])('clockTolerance %p throws a RangeError', async (clockTolerance) => {
      await expect(verify(await valid(ctx), { clockTolerance })).rejects.toThrow(RangeError);
    });

    it.each<[string, Partial<VerifyTokenOptions>]>([
      ['clockTolerance "5"', { clockTolerance: '5' as unknown as number }],
      ['empty issuer', { issuer: '' }],
      ['empty audience', { audience: '' }],
      ['empty algorithms', { algorithms: [] }],
      ['algorithm none', { algorithms: ['none' as SigningAlgorithm] }],
      ['invalid currentDate', { currentDate: new Date(Number.NaN) }],
      ['signatureCheck "Pool"', { signatureCheck: 'Pool' as VerifyTokenOptions['signatureCheck'] }],
      ['signatureCheck "thread"', { signatureCheck: 'thread' as VerifyTokenOptions['signatureCheck'] }],
    ])('%s throws a TypeError, even for a bad token', async (_name, options) => {
      await expect(verify('not.a.token', options)).rejects.toThrow(TypeError);
    });

    it.each([0, 60])('clockTolerance %p is accepted', async (clockTolerance) => {
      await expect(verify(await valid(ctx), { clockTolerance })).resolves.toEqual(CLAIMS);
    });

    it.each(['pool', 'inline'] as const)('signatureCheck %p is accepted', async (signatureCheck) => {
      await expect(verify(await valid(ctx), { signatureCheck })).resolves.toEqual(CLAIMS);
    });
  });
});

describe('verifyAccessToken with isRevoked', () => {
  let ctx: Ctx;
  beforeAll(async () => {
    ctx = await makeContext('ES256');
  });
  const verify = (token: string, isRevoked: VerifyTokenOptions['isRevoked']) =>
    verifyAccessToken(token, naiveResolver(ctx), { ...baseOptions(ctx), isRevoked });

  it('refuses a valid token of a revoked session with reason revoked, asking with its sid', async () => {
    const isRevoked = jest.fn(async (sid: string) => sid === CLAIMS.sid);
    await expect(rejectionOf(verify(await valid(ctx), isRevoked))).resolves.toMatchObject({ reason: 'revoked', message: 'Session revoked' });
    expect(isRevoked).toHaveBeenCalledWith(CLAIMS.sid);
  });

  it('accepts a token of another session', async () => {
    await expect(verify(await valid(ctx, {}, { sid: 'another-session' }), (sid) => sid === CLAIMS.sid)).resolves.toMatchObject({ sid: 'another-session' });
  });

  it('is never asked about a token that fails another rule (a forged sid)', async () => {
    const isRevoked = jest.fn(() => false);
    const forged = await sign(ctx, header(ctx), claims({ sid: 'forged' }), ctx.otherSignKey);
    await expect(rejectionOf(verify(forged, isRevoked))).resolves.toMatchObject({ reason: 'bad_signature' });
    await expect(rejectionOf(verify(await valid(ctx, {}, { exp: NOW - 1 }), isRevoked))).resolves.toMatchObject({ reason: 'expired' });
    expect(isRevoked).not.toHaveBeenCalled();
  });

  it('a non-function isRevoked is a TypeError', async () => {
    await expect(verify(await valid(ctx), true as unknown as VerifyTokenOptions['isRevoked'])).rejects.toThrow(TypeError);
  });
});

describe('TokenVerificationError', () => {
  it('has a short message, a name and a reason', () => {
    const error = new TokenVerificationError('expired');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'TokenVerificationError', reason: 'expired', message: 'Access token expired' });
  });
});
