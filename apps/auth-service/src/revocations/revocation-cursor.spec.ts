import { decodeFeedCursor, encodeFeedCursor } from './revocation-cursor';

const ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('revocation feed cursor', () => {
  it.each([
    { from: 0n },
    { from: 18_446_744_073_709_551_615n },
    { from: 750n, until: 900n, after: { xid: 751n, id: ID } },
  ])('round-trips %p and is opaque base64url', (position) => {
    const cursor = encodeFeedCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeFeedCursor(cursor)).toEqual(position);
  });

  it.each([
    ['not base64url JSON', 'nope!'],
    ['JSON array', b64([1])],
    ['JSON null', b64('null')],
    ['from missing', b64({})],
    ['from a number', b64({ f: 5 })],
    ['from negative', b64({ f: '-1' })],
    ['from beyond xid8', b64({ f: '18446744073709551616' })],
    ['from with a fraction', b64({ f: '1.5' })],
    ['an unknown member', b64({ f: '1', z: '1' })],
    ['half a page position', b64({ f: '1', u: '9' })],
    ['after below from', b64({ f: '5', u: '9', x: '4', i: ID })],
    ['after at until', b64({ f: '5', u: '9', x: '9', i: ID })],
    ['id not a uuid', b64({ f: '5', u: '9', x: '6', i: "x' OR 1=1" })],
  ])('refuses %s', (_name, cursor) => {
    expect(decodeFeedCursor(cursor)).toBeUndefined();
  });
});
