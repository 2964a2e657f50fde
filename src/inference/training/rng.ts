import { mulberry32 } from '../../common/mulberry32.js';

/** A small seeded generator (mulberry32) so splits, shuffles, dropout and bootstraps repeat exactly. */
export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32((seed >>> 0) ^ 0x9e3779b9);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
  /** A fresh integer seed for a child generator or a library call. */
  seed(): number {
    return Math.floor(this.next() * 2 ** 31);
  }
}
