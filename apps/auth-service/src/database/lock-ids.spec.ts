import { LockIds } from './lock-ids';

describe('lock ids', () => {
  it('gives every feature its own advisory lock', () => {
    const ids = Object.values(LockIds);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
