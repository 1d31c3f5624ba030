/** See turn-order.mjs. */
export declare function turnOrder(n: number, turn: number): number[];
