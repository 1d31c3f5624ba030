/** SPEC §6: the first lock lasts a minute, each further lock of the same key twice the one before, at most an hour. */
export const FIRST_LOCK_SECONDS = 60;
export const MAX_LOCK_SECONDS = 3600;

/** `lockNumber` counts from 1 (the first lock of a series). */
export function lockSeconds(lockNumber: number): number {
  if (lockNumber <= 1) return FIRST_LOCK_SECONDS;
  // 2^6 minutes already exceeds the cap: no need to compute larger powers.
  return Math.min(FIRST_LOCK_SECONDS * 2 ** Math.min(lockNumber - 1, 6), MAX_LOCK_SECONDS);
}
