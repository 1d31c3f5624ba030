// The order in which bench/harness.mjs's measureGroup loads a group's contenders in each turn.

const gcd = (a, b) => (b === 0 ? a : gcd(b, a % b));

/**
 * Turn `turn`'s order of `n` contenders (indices 0…n-1): from contender `turn mod n`, every `step`-th
 * one, where the step goes through the numbers below n that are coprime with it (1, then the others,
 * n-1 last: the reverse order), one per turn. With one step only (the same order rotated each turn),
 * a contender followed the same other in every turn but one, and whatever that one leaves behind
 * (PostgreSQL flushing its writes, a shared server's garbage) fell on it every time: the peer always
 * came right after the refresh floor on the large database. Each step gives every contender another
 * predecessor.
 */
export function turnOrder(n, turn) {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`turnOrder: n must be a positive integer, not ${n}`);
  const steps = [];
  for (let step = 1; step < n; step++) if (gcd(n, step) === 1) steps.push(step);
  const step = steps.length > 0 ? steps[turn % steps.length] : 1;
  return Array.from({ length: n }, (_, k) => (turn + k * step) % n);
}
