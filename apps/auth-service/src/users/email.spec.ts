import { normalizeEmail } from './email';

describe('normalizeEmail', () => {
  it('trims and lower-cases', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM \n')).toEqual({ ok: true, value: 'ada.lovelace@example.com' });
  });

  it.each([
    ['', 'must not be empty'],
    ['   ', 'must not be empty'],
    ['plainaddress', 'must be an email address such as name@example.com'],
    ['@example.com', 'must be an email address such as name@example.com'],
    ['a@b', 'must be an email address such as name@example.com'],
    ['a@.com', 'must be an email address such as name@example.com'],
    ['a@b..com', 'must be an email address such as name@example.com'],
    ['a@@b.com', 'must be an email address such as name@example.com'],
    [`${'x'.repeat(65)}@example.com`, 'must be an email address such as name@example.com'],
    [`a@${'b'.repeat(250)}.com`, 'must be at most 254 characters'],
    ['a b@example.com', 'must not contain spaces, control or invisible characters'],
    ['zero\u200b@example.com', 'must not contain spaces, control or invisible characters'],
    ['bidi\u202e@example.com', 'must not contain spaces, control or invisible characters'],
    ['nul\u0000@example.com', 'must not contain spaces, control or invisible characters'],
    ['nbsp\u00a0x@example.com', 'must not contain spaces, control or invisible characters'],
    ['filler\u3164@example.com', 'must not contain spaces, control or invisible characters'],
  ])('refuses %j: %s', (input, message) => {
    expect(normalizeEmail(input)).toEqual({ ok: false, message });
  });

  it('accepts 254 characters and international addresses', () => {
    const long = `${'a'.repeat(64)}@${'b'.repeat(185)}.com`;
    expect(long).toHaveLength(254);
    expect(normalizeEmail(long).ok).toBe(true);
    expect(normalizeEmail('josé@exämple.de')).toEqual({ ok: true, value: 'josé@exämple.de' });
  });
});
