import { checkPasswordPolicy, normalizePassword } from './password-policy';

describe('password policy (SPEC §2, NIST SP 800-63B)', () => {
  const email = 'ada@example.com';

  it('accepts a long uncommon passphrase and returns its NFKC form', () => {
    expect(checkPasswordPolicy('correct horse battery staple', email)).toEqual({ ok: true, value: 'correct horse battery staple' });
    expect(checkPasswordPolicy('ｆｕｌｌ ｗｉｄｔｈ ｐａｓｓ', email)).toEqual({ ok: true, value: 'full width pass' });
  });

  it('counts code points after NFKC, not UTF-16 units', () => {
    expect(checkPasswordPolicy('😀'.repeat(8), email).ok).toBe(true); // 16 UTF-16 units, 8 code points
    expect(checkPasswordPolicy('😀'.repeat(7), email)).toEqual({ ok: false, message: 'must be at least 8 characters' });
    expect(checkPasswordPolicy('😀'.repeat(128), email).ok).toBe(true);
    expect(checkPasswordPolicy('😀'.repeat(129), email)).toEqual({ ok: false, message: 'must be at most 128 characters' });
    // "ﬃ" (one code point) becomes "ffi" (three) under NFKC: the normalised length is what counts.
    expect(checkPasswordPolicy('ﬃﬃﬃ', email).ok).toBe(true);
  });

  it('refuses the email itself, whatever its case', () => {
    expect(checkPasswordPolicy('ADA@example.com', email)).toEqual({ ok: false, message: 'must not be the email address' });
  });

  it.each(['password', 'password1', '12345678', 'qwertyuiop', 'iloveyou', 'Password1', 'ＰＡＳＳＷＯＲＤ'])('refuses the common password %j', (pw) => {
    expect(checkPasswordPolicy(pw, email)).toEqual({ ok: false, message: expect.stringMatching(/too common/) });
  });

  it('normalises with NFKC', () => {
    expect(normalizePassword('Ｐａｓｓ')).toBe('Pass');
    expect(normalizePassword('e\u0301')).toBe('é');
  });
});
