import fc from 'fast-check';
import { request } from 'node:http';

/** One generated request, as sent: the path holds the raw query string. */
export interface FuzzRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface FuzzResponse {
  status: number;
  contentType: string;
  text: string;
}

/** Values the fuzzer may reuse: real tokens and ids reach the deeper code paths, not only validation. */
export interface FuzzContext {
  adminToken: string;
  /** Access tokens of ordinary users (revoking one must not cut the admin's session the fuzzer uses). */
  accessTokens: string[];
  refreshTokens: string[];
  userIds: string[];
  /** Accounts that exist, and the password of each: logins that succeed, registrations that collide. */
  emails: string[];
  password: string;
}

// Header values as Node sends them: visible ASCII, and Latin-1 bytes that a client may send raw.
const headerText = fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength: 80 });
const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }), // lone surrogates, NUL, every plane
  fc.constantFrom('', ' ', '\u0000', '\ud800', 'null', '0', '-1', '1e309', 'NaN', '__proto__', 'constructor', '%00', '../..', "' OR 1=1 --", '${x}', 'rt_', 'Bearer'),
  fc.nat(300).map((n) => 'x'.repeat(n * 7)),
);
const emailLike = fc
  .tuple(fc.oneof(anyText, fc.constantFrom('paypal', 'pаypal', 'арех', 'ａｄｍｉｎ', 'josé', 'modern', 'a'.repeat(70))), fc.constantFrom('@', '@@', '', ' @ '), fc.oneof(anyText, fc.constantFrom('example.com', 'exämple.de', 'xn--exmple-cua.de', 'xn--zz.com', 'ехаmple.com', 'a..b', 'x.'.repeat(130))))
  .map(([local, at, domain]) => `${local}${at}${domain}`);

/** Addresses that pass validation, many of them look-alikes of one another: registrations get to the database. */
const validEmail = fc
  .tuple(
    fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,15}$/), fc.constantFrom('apex', 'арех', 'ａｐｅｘ', 'josé', 'jose\u0301', 'иван', '山田たろう', 'modern', 'modem', 'rnodem')),
    fc.constantFrom('example.com', 'exämple.de', 'xn--exmple-cua.de', 'ехаmple.com', 'EXAMPLE.COM', 'ｅｘａｍｐｌｅ.com'),
  )
  .map(([local, domain]) => `${local}@${domain}`);

function jsonish(ctx: FuzzContext): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: anyText },
    { weight: 2, arbitrary: emailLike },
    { weight: 2, arbitrary: fc.constantFrom(...ctx.refreshTokens, ...ctx.accessTokens, ...ctx.userIds) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.constant(null)) },
  );
}

const FIELDS = ['email', 'password', 'name', 'refresh_token', 'token', 'token_type_hint', 'roles', 'current_password', 'new_password', 'grant_type'];

/** The endpoint's own members, mostly strings of the right kind: what gets past validation into the services. */
function wellFormed(ctx: FuzzContext, fields: readonly string[]): fc.Arbitrary<string> {
  const text = (arb: fc.Arbitrary<unknown>) => fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: jsonish(ctx) });
  const byField: Record<string, fc.Arbitrary<unknown>> = {
    email: text(fc.oneof(emailLike, validEmail, validEmail, fc.constantFrom(...ctx.emails), fc.constantFrom(...ctx.emails).map((e) => ` ${e.toUpperCase()} `))),
    password: text(fc.oneof(fc.constant(ctx.password), anyText, fc.string({ unit: 'grapheme', minLength: 8, maxLength: 40 }))),
    name: text(anyText),
    refresh_token: text(fc.oneof(fc.constantFrom(...ctx.refreshTokens), anyText.map((t) => `rt_${t}`))),
    token: text(fc.oneof(fc.constantFrom(...ctx.refreshTokens, ...ctx.accessTokens), anyText)),
    token_type_hint: text(fc.constantFrom('refresh_token', 'access_token', 'other')),
  };
  const model = Object.fromEntries(fields.map((f) => [f, byField[f]]));
  return fc.record(model, { requiredKeys: [fields[0]] }).map((o) => JSON.stringify(o));
}

function jsonBody(ctx: FuzzContext, fields: readonly string[]): fc.Arbitrary<Buffer> {
  const known = fc.dictionary(fc.constantFrom(...FIELDS), jsonish(ctx), { maxKeys: 4 });
  const extra = fc.dictionary(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x'), fc.string({ maxLength: 10 })), jsonish(ctx), { maxKeys: 2 });
  const object = fc.tuple(known, fc.oneof(fc.constant({}), extra)).map(([a, b]) => JSON.stringify({ ...a, ...b }));
  const nested = fc.tuple(fc.nat(1500), fc.constantFrom('[', '{"a":')).map(([n, open]) => `{"x":${open.repeat(n)}1${(open === '[' ? ']' : '}').repeat(n)}}`);
  const text = fc.oneof(
    { weight: 12, arbitrary: wellFormed(ctx, fields) },
    { weight: 4, arbitrary: object },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: nested },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"email":', '\uFEFF{}', '{"a":1}{"b":2}', `{"password":"${'p'.repeat(17 * 1024)}"}`) },
  );
  return fc.oneof({ weight: 9, arbitrary: text.map((t) => Buffer.from(t, 'utf8')) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) });
}

/** Percent-encodes the UTF-8 bytes of a text (a lone surrogate becomes U+FFFD), unreserved characters left as they are. */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');
}

/** A query key or value, sometimes with a broken escape or a raw Latin-1 byte at its end. */
const encodePart = fc
  .tuple(fc.oneof(anyText, emailLike, fc.jsonValue({ maxDepth: 2 })), fc.constantFrom('', '', '', '%', '%zz', '%C0%80', '%00', '%FF', '+', '\u00e9'))
  .map(([value, tail]) => `${percentEncode(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''))}${tail}`);

function queryString(names: string[]): fc.Arbitrary<string> {
  const pair = fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: encodePart }), encodePart).map(([k, v]) => `${k}=${v}`);
  return fc.array(fc.oneof({ weight: 5, arbitrary: pair }, { weight: 1, arbitrary: encodePart }), { maxLength: 6 }).map((pairs) => (pairs.length ? `?${pairs.join('&')}` : ''));
}

const LOG_FILTERS = ['event_type', 'user_id', 'identifier', 'ip', 'from', 'to', 'limit', 'cursor', 'format', 'bucket'];
const USER_FILTERS = ['email', 'limit', 'cursor'];

function headers(ctx: FuzzContext, defaultType: string): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    {
      'content-type': fc.oneof(
        { weight: 16, arbitrary: fc.constant(defaultType) },
        { weight: 2, arbitrary: fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/json; charset=UTF-8', 'application/merge-patch+json', '*/*', '') },
        { weight: 1, arbitrary: headerText },
      ),
      authorization: fc.oneof(fc.constant(`Bearer ${ctx.adminToken}`), headerText.map((t) => `Bearer ${t}`), headerText, fc.constant(`Bearer ${ctx.adminToken}x`)),
      'x-forwarded-for': fc.oneof(headerText, fc.constant(Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(', '))),
      'user-agent': headerText,
      accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/x-ndjson'),
      origin: fc.constantFrom('http://evil.example', 'null', 'http://127.0.0.1'),
    },
    { requiredKeys: [] },
  );
}

function formBody(ctx: FuzzContext): fc.Arbitrary<Buffer> {
  const pair = fc.tuple(fc.oneof(fc.constantFrom('token', 'token_type_hint', '__proto__', 'x'), encodePart), fc.oneof(encodePart, fc.constantFrom(...ctx.refreshTokens))).map(([k, v]) => `${k}=${v}`);
  return fc.array(pair, { maxLength: 5 }).map((pairs) => Buffer.from(pairs.join('&'), 'latin1'));
}

/** Register, login, refresh, logout, revoke (JSON and form) and the admin filters (SPEC §2). */
export function fuzzRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const post = (path: string, fields: readonly string[]) =>
    fc.record({ method: fc.constant('POST' as const), path: fc.constant(path), headers: headers(ctx, 'application/json'), body: fc.option(jsonBody(ctx, fields), { nil: undefined, freq: 10 }) });
  const revokeForm = fc.record({ method: fc.constant('POST' as const), path: fc.constant('/api/auth/revoke'), headers: headers(ctx, 'application/x-www-form-urlencoded'), body: formBody(ctx) });
  const adminId = fc.oneof(fc.constantFrom(...ctx.userIds), fc.uuid(), encodePart);
  const get = (path: fc.Arbitrary<string>, names: string[]) =>
    fc.record({
      method: fc.constant('GET' as const),
      path: fc.tuple(path, queryString(names)).map(([p, q]) => `${p}${q}`),
      headers: headers(ctx, 'application/json').map((h) => ({ authorization: `Bearer ${ctx.adminToken}`, ...h })),
    });
  return fc.oneof(
    post('/api/auth/register', ['email', 'password', 'name']),
    post('/api/auth/login', ['email', 'password']),
    post('/api/auth/refresh', ['refresh_token']),
    post('/api/auth/logout', ['refresh_token']),
    post('/api/auth/revoke', ['token', 'token_type_hint']),
    revokeForm,
    get(fc.constantFrom('/api/admin/security-logs', '/api/admin/security-logs/export'), LOG_FILTERS),
    get(fc.constant('/api/admin/users'), USER_FILTERS),
    get(adminId.map((id) => `/api/admin/users/${id}`), USER_FILTERS),
  );
}

/** Sends it with node:http (fetch would refuse or re-encode the odd parts); rejects after `timeoutMs`. */
export function send(baseUrl: string, req: FuzzRequest, timeoutMs: number): Promise<FuzzResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body) headers['content-length'] = req.body.length;
    // A connection per request: a reused keep-alive socket that the server closed after an earlier refusal would fail the next case.
    const outgoing = request({ hostname, port, method: req.method, path: req.path, headers, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms (a hang)`)));
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}
