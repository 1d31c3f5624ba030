import { calculateJwkThumbprint } from 'jose';
import { generateSigningKey, prepareSigningKeys, publicOnly } from './key-material';

describe('prepareSigningKeys', () => {
  it('hands out the keys prepared for an algorithm first, in order, then generates new ones', async () => {
    const ahead = await Promise.all(prepareSigningKeys('ES256', 2));
    const edAhead = await Promise.all(prepareSigningKeys('EdDSA', 1));
    const first = await generateSigningKey('ES256');
    const second = await generateSigningKey('ES256');
    const third = await generateSigningKey('ES256');
    expect([first.kid, second.kid]).toEqual(ahead.map((k) => k.kid));
    expect(ahead.map((k) => k.kid)).not.toContain(third.kid);
    expect(new Set([first.kid, second.kid, third.kid]).size).toBe(3);
    // Another algorithm's prepared key is not taken by ES256, and is handed out to its own.
    expect((await generateSigningKey('EdDSA')).kid).toBe(edAhead[0].kid);
    expect((await generateSigningKey('EdDSA')).kid).not.toBe(edAhead[0].kid);
    for (const key of [first, second, third]) {
      expect(key.alg).toBe('ES256');
      expect(key.privateJwk.d).toEqual(expect.any(String));
      // The kid is the public key's thumbprint, as for any generated key.
      expect(await calculateJwkThumbprint(publicOnly(key.publicJwk!), 'sha256')).toBe(key.kid);
    }
  });
});
