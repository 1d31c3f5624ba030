import { lockSeconds } from './lock-duration';

describe('lock duration (SPEC §6)', () => {
  it('starts at one minute, doubles on each further lock, and stops at one hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map(lockSeconds)).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });
});
