/** murmur3's 32-bit finaliser: spreads every bit of the input over the output. */
function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A seeded generator of uniform numbers in [0, 1) (xorshift128), so that runs are reproducible: the host-shim's
 * samplers, and the library's own draws where it samples (structured generation). Every integer seed,
 * negative and beyond 32 bits included (a `bigint` up to 64 bits), gives its own stream: both 32-bit halves of
 * the seed are mixed into the state.
 */
export class SeededRandom {
  #state: Uint32Array;

  constructor(seed: number | bigint) {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
      throw new Error(`seed ${seed} must be a whole number within ±2^53`);
    }
    const bits = BigInt.asUintN(64, BigInt(seed));
    const low = Number(bits & 0xffff_ffffn);
    const high = Number(bits >> 32n);
    this.#state = Uint32Array.of(
      mix32(low ^ 0x9e37_79b9),
      mix32(high ^ 0x243f_6a88),
      mix32(low + 0xb7e1_5162),
      mix32(high + 0x85eb_ca6b) | 1,
    );
    for (let warmUp = 0; warmUp < 16; warmUp++) this.next();
  }

  next(): number {
    const s = this.#state;
    let t = s[3] ?? 0;
    const first = s[0] ?? 0;
    s[3] = s[2] ?? 0;
    s[2] = s[1] ?? 0;
    s[1] = first;
    t ^= t << 11;
    t ^= t >>> 8;
    s[0] = (t ^ first ^ (first >>> 19)) >>> 0;
    return (s[0] ?? 0) / 0x1_0000_0000;
  }
}
