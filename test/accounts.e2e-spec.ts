import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DataSource } from 'typeorm';
import { RunningService, startAuthService } from './support/auth-service';
import { NO_RATE_LIMITS } from './support/test-env';
import { call, STRONG_PASSWORD, uniqueEmail } from './support/http';

describe('accounts: register, login, me (SPEC §2)', () => {
  let service: RunningService;
  let url: string;

  beforeAll(async () => {
    service = await startAuthService(NO_RATE_LIMITS);
    url = service.url;
  });
  afterAll(() => service?.close());

  const register = (json: unknown) => call(url, 'POST', '/api/auth/register', { json });
  const login = (email: string, password: string) => call(url, 'POST', '/api/auth/login', { json: { email, password } });

  it('registers, signs in and answers /me with the same user, never a secret', async () => {
    const email = uniqueEmail();
    const created = await register({ email: `  ${email.toUpperCase()} `, password: STRONG_PASSWORD, name: 'Ada' });
    expect(created.status).toBe(201);
    const user = created.body.user as Record<string, unknown>;
    expect(user).toEqual({ id: expect.any(String), email, name: 'Ada', roles: ['user'], created_at: expect.any(String) });

    const signedIn = await login(email.toUpperCase(), STRONG_PASSWORD);
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('cache-control')).toBe('no-store');
    expect(signedIn.headers.get('pragma')).toBe('no-cache');
    const body = signedIn.body;
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: expect.stringMatching(/^rt_[A-Za-z0-9_-]{43,}$/),
      refresh_expires_in: 604800,
      user,
    });
    expect(signedIn.text).not.toMatch(/argon2|password_hash|passwordHash/);

    const header = decodeProtectedHeader(body.access_token as string);
    expect(header).toEqual({ alg: 'RS256', kid: expect.any(String), typ: 'at+jwt' });
    const claims = decodeJwt(body.access_token as string);
    expect(Object.keys(claims).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'roles', 'sid', 'sub']);
    expect(claims).toMatchObject({ iss: 'http://tessera.test', sub: user.id, aud: 'tessera', client_id: 'tessera', roles: ['user'] });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);

    const me = await call(url, 'GET', '/api/auth/me', { token: body.access_token as string });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user });
  });

  it('stores only the SHA-256 of the refresh token, and the session of the login', async () => {
    const email = uniqueEmail();
    await register({ email, password: STRONG_PASSWORD });
    const { body } = await login(email, STRONG_PASSWORD);
    const ds: DataSource = service.dataSource;
    const rows: { token_hash: Buffer; user_agent: string | null; ip: string | null }[] = await ds.query(
      `SELECT t.token_hash, s.user_agent, s.ip FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
        JOIN users u ON u.id = s.user_id WHERE u.email = $1`,
      [email],
    );
    expect(rows).toHaveLength(1);
    const { createHash } = await import('node:crypto');
    expect(rows[0].token_hash.equals(createHash('sha256').update(body.refresh_token as string).digest())).toBe(true);
    expect(rows[0].ip).toBe('127.0.0.1');
    const dump = JSON.stringify(await ds.query(`SELECT * FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id`));
    expect(dump).not.toContain(body.refresh_token as string);
  });

  it('answers an unknown email and a wrong password with the same status and body', async () => {
    const email = uniqueEmail();
    await register({ email, password: STRONG_PASSWORD });
    const wrong = await login(email, 'not the password 123');
    const unknown = await login(uniqueEmail('nobody'), 'not the password 123');
    const malformed = await login('not-an-email', 'not the password 123');
    for (const r of [wrong, unknown, malformed]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ statusCode: 401, error: 'invalid_credentials', message: 'Invalid email or password', request_id: expect.any(String) });
    }
  });

  it('refuses an email that exists, whatever its case, with 409 email_taken', async () => {
    const email = uniqueEmail();
    expect((await register({ email, password: STRONG_PASSWORD })).status).toBe(201);
    const again = await register({ email: email.toUpperCase(), password: STRONG_PASSWORD });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ statusCode: 409, error: 'email_taken' });
  });

  it.each([
    ['roles (mass assignment)', { roles: ['admin'] }, 'roles'],
    ['an unknown field', { is_admin: true }, 'is_admin'],
    ['a missing email', { email: undefined }, 'email'],
    ['an email that is a number', { email: 42 }, 'email'],
    ['an email without @', { email: 'nobody.example.com' }, 'email'],
    ['an email over 254 characters', { email: `${'a'.repeat(60)}@${'b'.repeat(190)}.com` }, 'email'],
    ['an email with a zero-width space', { email: 'ze\u200bro@example.com' }, 'email'],
    ['an email with a control character', { email: 'ctl\u0007@example.com' }, 'email'],
    ['a password of 7 characters', { password: 'x7Kq!pZ' }, 'password'],
    ['a password of 129 code points', { password: '😀'.repeat(129) }, 'password'],
    ['a common password', { password: 'password1' }, 'password'],
    ['a common password in other case', { password: 'Qwertyuiop' }, 'password'],
    ['a password of 14 characters (PASSWORD_MIN_LENGTH is 15)', { password: 'fourteen chars' }, 'password'],
    ['a repeated character', { password: 'aaaaaaaaaaaaaaa' }, 'password'],
    ['a sequence of digits', { password: '123456789012345' }, 'password'],
    ['only spaces', { password: ' '.repeat(20) }, 'password'],
    ['a sequence of letters', { password: 'abcdefghijklmnop' }, 'password'],
    ['a password that is a number', { password: 12345678 }, 'password'],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
  ])('refuses %s with 400 validation_failed naming the field', async (_, patch, field) => {
    const res = await register({ email: uniqueEmail(), password: STRONG_PASSWORD, ...patch });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed', message: expect.any(String) });
    expect(res.body.details).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
  });

  it('refuses the email as the password', async () => {
    const email = uniqueEmail();
    const res = await register({ email, password: email.toUpperCase() });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ field: 'password', message: 'password must not be the email address' }]);
  });

  it('accepts 128 code points (256 UTF-16 units) and does not truncate: the 127-point prefix does not sign in', async () => {
    const email = uniqueEmail();
    // 128 emoji, none following the one before (a repetition or a sequence would be refused).
    const password = Array.from({ length: 128 }, (_, i) => String.fromCodePoint(0x1f600 + ((i * 7) % 67))).join('');
    expect((await register({ email, password })).status).toBe(201);
    expect((await login(email, password)).status).toBe(200);
    expect((await login(email, [...password].slice(0, -1).join(''))).status).toBe(401);
  });

  it('normalises passwords with NFKC: full-width letters and the ASCII form are one password', async () => {
    const email = uniqueEmail();
    const fullWidth = 'ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ ４２';
    expect((await register({ email, password: fullWidth })).status).toBe(201);
    expect((await login(email, 'correct horse battery 42')).status).toBe(200);
  });

  it('keeps the hash with argon2id at the configured cost', async () => {
    const email = uniqueEmail();
    await register({ email, password: STRONG_PASSWORD });
    const [row] = await service.dataSource.query(`SELECT password_hash FROM users WHERE email = $1`, [email]);
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
  });
});

describe('accounts: rehash at login when the argon2 parameters change', () => {
  it('stores a new hash with the new parameters at the next successful login', async () => {
    const first = await startAuthService(NO_RATE_LIMITS);
    const email = uniqueEmail();
    await call(first.url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } });
    await first.stop();
    const second = await startAuthService({ ...NO_RATE_LIMITS, ARGON2_MEMORY_KIB: '2048', ARGON2_ITERATIONS: '2' }, first.database);
    try {
      const failed = await call(second.url, 'POST', '/api/auth/login', { json: { email, password: 'wrong password 99' } });
      expect(failed.status).toBe(401);
      let [row] = await second.dataSource.query(`SELECT password_hash FROM users WHERE email = $1`, [email]);
      expect(row.password_hash).toMatch(/m=1024,p=1,t=1/); // a failed login never rewrites
      const ok = await call(second.url, 'POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD } });
      expect(ok.status).toBe(200);
      [row] = await second.dataSource.query(`SELECT password_hash FROM users WHERE email = $1`, [email]);
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=2048,p=1,t=2\$/);
      expect((await call(second.url, 'POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD } })).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
