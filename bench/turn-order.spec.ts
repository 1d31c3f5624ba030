import { turnOrder } from './turn-order.mjs';

/** The contender that came right before each one, per turn (the first of a turn follows the last of the one before). */
function predecessors(n: number, turns: number): Map<number, Set<number>> {
  const seen = new Map(Array.from({ length: n }, (_, i) => [i, new Set<number>()]));
  const sequence = Array.from({ length: turns }, (_, turn) => turnOrder(n, turn)).flat();
  for (let i = 1; i < sequence.length; i++) seen.get(sequence[i])!.add(sequence[i - 1]);
  return seen;
}

describe('turnOrder', () => {
  it('loads every contender once per turn', () => {
    for (const n of [1, 2, 3, 4, 7, 8]) {
      for (let turn = 0; turn < 6; turn++) expect([...turnOrder(n, turn)].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  it('starts each turn with the next contender', () => {
    expect(Array.from({ length: 5 }, (_, turn) => turnOrder(8, turn)[0])).toEqual([0, 1, 2, 3, 4]);
  });

  it('gives each contender of the refresh group (8) at least three predecessors over the five turns', () => {
    // The refresh group: Tessera and /oauth/token on the small database, its floor, Tessera and the
    // floor on the large one, the peer, the two bounds. Rotating one order, the peer (5) followed the
    // large floor (4) in all five turns.
    for (const [contender, before] of predecessors(8, 5)) expect({ contender, count: before.size >= 3 }).toEqual({ contender, count: true });
    expect(predecessors(8, 5).get(5)).toEqual(new Set([4, 2, 0, 6]));
  });

  it('alternates forward and backward with four contenders (the login group)', () => {
    expect(Array.from({ length: 4 }, (_, turn) => turnOrder(4, turn))).toEqual([
      [0, 1, 2, 3],
      [1, 0, 3, 2],
      [2, 3, 0, 1],
      [3, 2, 1, 0],
    ]);
  });

  it('refuses a group of no contenders', () => {
    expect(() => turnOrder(0, 0)).toThrow(RangeError);
  });
});
