import { checkPasswordPolicy, DEFAULT_PASSWORD_MIN_LENGTH, isRepetitiveOrSequential, normalizePassword } from './password-policy';

describe('password policy (SPEC §2, NIST SP 800-63B)', () => {
  const email = 'ada@example.com';
  const check = (password: string, minLength = DEFAULT_PASSWORD_MIN_LENGTH) => checkPasswordPolicy(password, email, minLength);

  it('accepts a long uncommon passphrase and returns its NFKC form', () => {
    expect(check('correct horse battery staple')).toEqual({ ok: true, value: 'correct horse battery staple' });
    expect(check('ｆｕｌｌ ｗｉｄｔｈ ｐａｓｓ ｐｈｒａｓｅ')).toEqual({ ok: true, value: 'full width pass phrase' });
  });

  it('applies PASSWORD_MIN_LENGTH (15 by default), counting code points after NFKC, not UTF-16 units', () => {
    expect(check('fourteen chars')).toEqual({ ok: false, message: 'must be at least 15 characters' });
    expect(check('fifteen chars!!').ok).toBe(true);
    expect(check('fourteen chars', 8).ok).toBe(true);
    expect(check('🍎🍐🍊🍋🍌🍉🍇🍓', 8).ok).toBe(true); // 16 UTF-16 units, 8 code points
    expect(check('🍎🍐🍊🍋🍌🍉🍇', 8)).toEqual({ ok: false, message: 'must be at least 8 characters' });
    expect(check('😀'.repeat(97) + 'correct horse battery staple 42').ok).toBe(true);
    expect(check('😀'.repeat(98) + 'correct horse battery staple 42')).toEqual({ ok: false, message: 'must be at most 128 characters' });
    // "ﬃ" (one code point) becomes "ffi" (three) under NFKC: the normalised length is what counts.
    expect(check('ﬃ x ﬃ y ﬃ z', 15).ok).toBe(true);
  });

  it('refuses the email itself, whatever its case', () => {
    expect(check('ADA@example.com')).toEqual({ ok: false, message: 'must not be the email address' });
  });

  it.each(['password', 'password1', '12345678', 'qwertyuiop', 'iloveyou', 'Password1', 'ＰＡＳＳＷＯＲＤ'])('refuses the common password %j', (pw) => {
    expect(check(pw, 8)).toEqual({ ok: false, message: expect.stringMatching(/too common/) });
  });

  it.each([
    'aaaaaaaaaaaaaaa',
    '123456789012345',
    ' '.repeat(15),
    'abcdefghijklmnop',
    'ZYXWVUTSRQPONMLK',
    '987654321098765',
    'abababababababab',
    'abcabcabcabcabcabc',
    'tessera tessera ',
    'aaaaaaaa12345678',
    'abcdefgh12345678',
  ])('refuses the repetitive or sequential %j with a clear message', (pw) => {
    expect(check(pw)).toEqual({ ok: false, message: expect.stringMatching(/repetition or a sequence/) });
  });

  it('does not mistake ordinary passphrases for sequences', () => {
    for (const pw of ['correct horse battery staple 42', 'a1b2c3d4e5f6g7h8', 'admin pass phrase 1', 'my cat likes 3 boxes']) {
      expect(isRepetitiveOrSequential([...pw.toLowerCase()])).toBe(false);
    }
  });

  it('normalises with NFKC', () => {
    expect(normalizePassword('Ｐａｓｓ')).toBe('Pass');
    expect(normalizePassword('e\u0301')).toBe('é');
  });
});
