import { normalizeEmail, parseEmail, storedAddressForms } from './email';
import { mixesScripts, skeleton } from './confusables';

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

  it('stores NFC: a decomposed é is stored composed', () => {
    expect(normalizeEmail('jose\u0301@example.com')).toEqual({ ok: true, value: 'jos\u00e9@example.com' });
  });
});

describe('parseEmail: IDN and punycode are one address (SPEC §2)', () => {
  const forms = (input: string) => {
    const parsed = parseEmail(input);
    if (!parsed.ok) throw new Error(`${input} refused: ${parsed.message}`);
    return parsed.value;
  };

  it('stores the address as typed and compares the ASCII form of its domain', () => {
    const unicode = forms('josé@Exämple.de');
    const punycode = forms('josé@xn--exmple-cua.de');
    expect(unicode.value).toBe('josé@exämple.de');
    expect(punycode.value).toBe('josé@xn--exmple-cua.de');
    expect(unicode.canonical).toBe('josé@xn--exmple-cua.de');
    expect(punycode.canonical).toBe(unicode.canonical);
    expect(punycode.skeleton).toBe(unicode.skeleton);
    expect(punycode.ascii).toBe(false); // an IDN in punycode is still an IDN
  });

  it('maps full-width domain letters as IDNA does', () => {
    expect(forms('a@ｅｘａｍｐｌｅ.com').canonical).toBe('a@example.com');
  });

  it('refuses a domain that IDNA cannot convert, with a clear message', () => {
    expect(parseEmail('a@xn--zz.com')).toEqual({ ok: false, message: expect.stringMatching(/valid domain/) });
  });
});

describe('look-alikes (UTS #39 skeletons)', () => {
  const forms = (input: string) => (parseEmail(input) as { ok: true; value: ReturnType<typeof storedAddressForms> }).value;

  it('gives a Cyrillic or full-width look-alike the skeleton of the ASCII address', () => {
    expect(skeleton('pаypal')).toBe(skeleton('paypal')); // U+0430 CYRILLIC SMALL LETTER A
    expect(skeleton('ｐａｙｐａｌ')).toBe(skeleton('paypal'));
    expect(skeleton('e\u0301')).toBe(skeleton('\u00e9')); // combining mark and precomposed letter
    expect(forms('ｐａｙｐａｌ@example.com').skeleton).toBe(forms('paypal@example.com').skeleton);
    expect(forms('admin@ехаmple.com').skeleton).toBe(forms('admin@example.com').skeleton); // Cyrillic е, х, а in the domain
  });

  it('keeps different-looking addresses apart', () => {
    expect(skeleton('paypal')).not.toBe(skeleton('paypa1x'));
    expect(skeleton('josé')).not.toBe(skeleton('jose')); // an accent is not a look-alike
  });

  it('marks ASCII addresses, whose comparison stays exact even when skeletons meet (modern, modem)', () => {
    const modern = forms('modern@x.com');
    const modem = forms('modem@x.com');
    expect(modern.skeleton).toBe(modem.skeleton);
    expect(modern.ascii && modem.ascii).toBe(true);
    expect(modern.canonical).not.toBe(modem.canonical);
    expect(storedAddressForms('mоdern@x.com').ascii).toBe(false); // Cyrillic о (refused anyway: mixed scripts)
  });

  it('finds an all-Cyrillic local part that looks like an ASCII one', () => {
    const cyrillic = forms('арех@example.com'); // а р е х, all Cyrillic: one script, so not refused as mixed
    expect(cyrillic.ascii).toBe(false);
    expect(cyrillic.skeleton).toBe(forms('apex@example.com').skeleton);
  });
});

describe('mixed scripts in the local part', () => {
  it.each(['paypal', 'josé', 'иван', 'αλφα', '山田たろう', '김철수', 'user.42_x-y+tag', 'مريم'])('accepts %j', (local) => {
    expect(mixesScripts(local)).toBe(false);
    expect(parseEmail(`${local}@example.com`).ok).toBe(true);
  });

  it.each(['pаypal', 'αlpha', 'иvan', 'abcδ'])('refuses %j', (local) => {
    expect(mixesScripts(local)).toBe(true);
    expect(parseEmail(`${local}@example.com`)).toEqual({ ok: false, message: 'must not mix scripts before the @ (for example Latin and Cyrillic letters together)' });
  });

  it('does not check the domain (registries rule on their own labels)', () => {
    expect(parseEmail('user@ехаmple.com').ok).toBe(true);
  });
});

describe('storedAddressForms', () => {
  it('gives forms even for a stored address that today\'s rules refuse', () => {
    const stored = storedAddressForms('pаypal@exämple.de');
    expect(stored).toEqual({ value: 'pаypal@exämple.de', canonical: 'pаypal@xn--exmple-cua.de', skeleton: expect.any(String), ascii: false });
    expect(stored.skeleton).toBe(parseEmail('paypal@exämple.de').ok && storedAddressForms('paypal@exämple.de').skeleton);
  });
});
