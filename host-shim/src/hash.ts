/** Small, fast, well-mixed 32-bit hashing for the reference model's deterministic values. */

/** A 32-bit finaliser (murmur3's fmix32). */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines a hash with another 32-bit value, order-sensitively. */
export const combine = (hash: number, value: number): number =>
  mix32(hash ^ Math.imul(value | 0, 0x9e37_79b9) ^ 0x5bd1_e995);

/** A value in [-0.5, 0.5) from a hash. */
export const centered = (hash: number): number => hash / 0x1_0000_0000 - 0.5;

/** A hash of bytes (FNV-1a, then mixed). */
export function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c_9dc5;
  for (const byte of bytes) h = Math.imul(h ^ byte, 0x0100_0193);
  return mix32(h);
}
