/**
 * Sampling the library does itself, from a distribution the host returned (structured output, best-of):
 * how much of the distribution to ask for, and a sampler's cut-off and draw applied to what it got.
 */
import type { SamplerConfig } from 'inferlib:context/inference';

/**
 * How much of the distribution a step asks for, one pass each: first the likeliest 32 (a trained model's
 * choice is in them), then more while what is looked for is not among them, up to the whole (`Infinity`).
 * Each is 16 times the one before: inside a component the library reads them interpreted, and the whole
 * vocabulary costs it about ten times what 16,384 do.
 */
export const topKs = [32, 1024, 16_384, Infinity];

/** The temperature a sampler draws at; 0 for greedy. */
export const temperatureOf = (sampler: SamplerConfig): number =>
  sampler.tag === 'greedy' ? 0 : sampler.tag === 'multinomial' ? sampler.val : sampler.val[0];

export interface Candidate {
  readonly id: number;
  readonly prob: number;
}

/** The candidates (most probable first) the sampler keeps: its cut-off applied to them alone. */
export function kept(sampler: SamplerConfig, candidates: readonly Candidate[]): readonly Candidate[] {
  const nucleus = (some: readonly Candidate[], p: number) => {
    const total = some.reduce((sum, { prob }) => sum + prob, 0);
    let running = 0;
    const last = some.findIndex(({ prob }) => {
      running += prob;
      return running >= p * total;
    });
    return some.slice(0, last === -1 ? some.length : last + 1);
  };
  switch (sampler.tag) {
    case 'top-k':
      return candidates.slice(0, sampler.val[1]);
    case 'top-p':
      return nucleus(candidates, sampler.val[1]);
    case 'min-p': {
      const threshold = sampler.val[1] * (candidates[0]?.prob ?? 0);
      return candidates.filter(({ prob }) => prob >= threshold);
    }
    case 'top-k-top-p':
      return nucleus(candidates.slice(0, sampler.val[1]), sampler.val[2]);
    default:
      return candidates;
  }
}

/** One of `candidates`, drawn in proportion to its probability with the uniform draw `random`. */
export function draw(candidates: readonly Candidate[], random: number): number {
  const total = candidates.reduce((sum, { prob }) => sum + prob, 0);
  let remaining = random * total;
  for (const { id, prob } of candidates) {
    remaining -= prob;
    if (remaining < 0) return id;
  }
  return (candidates.at(-1) as Candidate).id;
}
