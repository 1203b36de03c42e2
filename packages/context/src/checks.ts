import type { SamplerConfig } from 'inferlib:context/inference';

export const iface = 'inferlib:context/inference';

/**
 * A count as a caller meant it. In one engine a negative or fractional number arrives as it is; through the
 * WIT a negative one arrives wrapped around as 2^32 − n (the caller's lowering does not check), so 2^31 or
 * more, which no generation could mean, is refused too.
 */
export function checkCount(call: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${call}: ${name} ${value} is not a count (a u32)`);
  }
  if (value >= 2 ** 31) {
    throw new Error(
      `${call}: ${name} ${value} is 2^31 or more, which no generation means; a negative number wrapped around to a u32?`,
    );
  }
}

export function checkSampler(call: string, sampler: SamplerConfig): void {
  if (sampler.tag === 'top-k' || sampler.tag === 'top-k-top-p') checkCount(call, 'top-k', sampler.val[1]);
}
