/**
 * Samplers built from named values, checked where the app builds them: `sampler.topP({ temperature: 0.7,
 * p: 0.9 })` instead of `{ tag: 'top-p', val: [0.7, 0.9] }`, whose values are easy to swap. A value out of
 * range throws an error naming the helper and the value, as the library would refuse it.
 */
import type { SamplerConfig } from 'inferlib:context/inference';
import { samplerProblem } from '@inferlib/support';

function checked(helper: string, config: SamplerConfig): SamplerConfig {
  const problem = samplerProblem(config);
  if (problem !== undefined) throw new Error(`sampler.${helper}: ${problem}`);
  return config;
}

export const sampler = {
  /** The likeliest token every time. */
  greedy: (): SamplerConfig => ({ tag: 'greedy' }),
  /** Sampling from the whole distribution at `temperature`. */
  multinomial: ({ temperature }: { temperature: number }): SamplerConfig =>
    checked('multinomial', { tag: 'multinomial', val: temperature }),
  /** Sampling from the likeliest tokens whose probabilities sum to `p` (nucleus sampling). */
  topP: ({ temperature, p }: { temperature: number; p: number }): SamplerConfig =>
    checked('topP', { tag: 'top-p', val: [temperature, p] }),
  /** Sampling from the `k` likeliest tokens. */
  topK: ({ temperature, k }: { temperature: number; k: number }): SamplerConfig =>
    checked('topK', { tag: 'top-k', val: [temperature, k] }),
  /** Sampling from the tokens at least `p` times as likely as the likeliest. */
  minP: ({ temperature, p }: { temperature: number; p: number }): SamplerConfig =>
    checked('minP', { tag: 'min-p', val: [temperature, p] }),
  /** Top-k, then top-p among those. */
  topKTopP: ({ temperature, k, p }: { temperature: number; k: number; p: number }): SamplerConfig =>
    checked('topKTopP', { tag: 'top-k-top-p', val: [temperature, k, p] }),
} as const;
