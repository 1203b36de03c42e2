/**
 * What a sampler's values may be: what Pie's samplers (and the host-shim's) accept. Checked by the library
 * before a value reaches the host, where it would trap, and by the sampler helpers of `@inferlib/run-bindings`
 * in the app's own code, so that a mistake is an error naming the call and the value.
 */

/** `inferlib:context/inference`'s `sampler-config`, as its guest types spell it. */
export type SamplerValues =
  | { readonly tag: 'greedy' }
  | { readonly tag: 'multinomial'; readonly val: number }
  | { readonly tag: 'top-p' | 'top-k' | 'min-p'; readonly val: readonly [number, number] }
  | { readonly tag: 'top-k-top-p'; readonly val: readonly [number, number, number] };

/**
 * Why `value` is not a count a caller meant, if it is not. In one engine a negative, fractional or too large
 * number arrives as it is; through the WIT a negative one arrives wrapped around as a u32 of 2^31 or more (the
 * caller's lowering does not check), which no generation could mean, so that is refused too.
 */
export function countProblem(name: string, value: number): string | undefined {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32)
    return `${name} ${value} is not a count (a u32)`;
  if (value >= 2 ** 31) {
    return `${name} ${value} is 2^31 or more, which no generation means; a negative number wrapped around to a u32?`;
  }
  return undefined;
}

export function temperatureProblem(temperature: number): string | undefined {
  return temperature >= 0 && Number.isFinite(temperature)
    ? undefined
    : `temperature ${temperature} is not a finite number ≥ 0`;
}

export function topKProblem(topK: number): string | undefined {
  return (
    countProblem('top-k', topK) ?? (topK === 0 ? 'top-k 0 keeps no token: it must be at least 1' : undefined)
  );
}

/** A probability cut-off: top-p keeps at least one token, so it must be above 0; min-p may be 0 (keeps all). */
function cutoffProblem(name: 'top-p' | 'min-p', value: number): string | undefined {
  if (name === 'top-p') return value > 0 && value <= 1 ? undefined : `top-p ${value} is not within (0, 1]`;
  return value >= 0 && value <= 1 ? undefined : `min-p ${value} is not within [0, 1]`;
}

/** Why `sampler` cannot sample, naming the value, or `undefined` when every value is in range. */
export function samplerProblem(sampler: SamplerValues): string | undefined {
  switch (sampler.tag) {
    case 'greedy':
      return undefined;
    case 'multinomial':
      return temperatureProblem(sampler.val);
    case 'top-p':
    case 'min-p':
      return temperatureProblem(sampler.val[0]) ?? cutoffProblem(sampler.tag, sampler.val[1]);
    case 'top-k':
      return temperatureProblem(sampler.val[0]) ?? topKProblem(sampler.val[1]);
    case 'top-k-top-p':
      return (
        temperatureProblem(sampler.val[0]) ??
        topKProblem(sampler.val[1]) ??
        cutoffProblem('top-p', sampler.val[2])
      );
  }
}
