import helmet from 'helmet';
import { helmetHeaders } from './http-setup';

describe('helmetHeaders', () => {
  const options = {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: false,
    crossOriginResourcePolicy: { policy: 'same-origin' as const },
  };

  it('is what helmet\'s middleware sets on a response, by lower-case name, taken once', () => {
    const set: Record<string, string> = {};
    helmet(options)({} as never, { setHeader: (name: string, value: string) => (set[name.toLowerCase()] = value), removeHeader: () => undefined } as never, () => undefined);
    expect(helmetHeaders(options)).toEqual(set);
    expect(helmetHeaders(options)).toMatchObject({
      'content-security-policy': "default-src 'none';frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
    });
    expect(helmetHeaders(options)).not.toHaveProperty('strict-transport-security');
  });

  it('follows the options (another policy, another header)', () => {
    expect(helmetHeaders({ ...options, crossOriginResourcePolicy: { policy: 'cross-origin' } })['cross-origin-resource-policy']).toBe('cross-origin');
  });
});
