import { describe, expect, it } from 'vitest';
import { type Cutoff, distribution, SeededRandom, sampleToken } from '../src/index.ts';
import { argmax, softmax, topIds } from '../src/sampling.ts';

/** 40 logits with a clear order: id 7 best, then 3, 12, 30, … (fixed, not sorted by id). */
const logits = Float32Array.from({ length: 40 }, (_, id) => Math.sin(id * 1.7) * 3);
const ranked = [...logits.keys()].sort((a, b) => (logits[b] ?? 0) - (logits[a] ?? 0));

const draws = (temperature: number, cutoff: Cutoff, count = 4000, seed = 1) => {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () => sampleToken(logits, temperature, cutoff, random));
};

describe('samplers', () => {
  it('temperature 0 is the argmax, whatever the cutoff', () => {
    for (const cutoff of [{ kind: 'none' }, { kind: 'top-p', p: 0.1 }, { kind: 'min-p', p: 0.9 }] as const) {
      expect(new Set(draws(0, cutoff, 50))).toEqual(new Set([ranked[0]]));
    }
    expect(argmax(logits)).toBe(ranked[0]);
  });

  it('the same seed gives the same draws, another seed others', () => {
    expect(draws(1, { kind: 'none' }, 200, 5)).toEqual(draws(1, { kind: 'none' }, 200, 5));
    expect(draws(1, { kind: 'none' }, 200, 5)).not.toEqual(draws(1, { kind: 'none' }, 200, 6));
  });

  it('every seed has its own stream: 0 and 1, negative ones, and seeds beyond 32 bits', () => {
    const seeds = [0, 1, -1, 2 ** 32, 2 ** 32 + 1, -(2 ** 40), Number.MAX_SAFE_INTEGER];
    const streams = seeds.map((seed) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 8 }, () => random.next()).join();
    });
    expect(new Set(streams).size).toBe(seeds.length);
    expect(() => new SeededRandom(0.5)).toThrow(/seed 0.5 must be a whole number/);
  });

  it('multinomial follows the tempered softmax', () => {
    const samples = draws(1, { kind: 'none' }, 20_000);
    const probs = softmax(logits, 1);
    for (const id of ranked.slice(0, 5)) {
      const frequency = samples.filter((sample) => sample === id).length / samples.length;
      expect(Math.abs(frequency - (probs[id] ?? 0))).toBeLessThan(0.02);
    }
    const best = (values: number[]) => values.filter((sample) => sample === ranked[0]).length / values.length;
    expect(best(draws(5, { kind: 'none' }))).toBeLessThan(best(draws(0.5, { kind: 'none' })));
  });

  it('top-k never leaves the k best', () => {
    const samples = draws(2, { kind: 'top-k', k: 3 });
    expect(new Set(samples)).toEqual(new Set(ranked.slice(0, 3)));
  });

  it('top-p keeps the smallest most probable set reaching p', () => {
    const probs = softmax(logits, 1);
    let total = 0;
    const nucleus: number[] = [];
    for (const id of ranked) {
      nucleus.push(id);
      total += probs[id] ?? 0;
      if (total >= 0.8) break;
    }
    expect(new Set(draws(1, { kind: 'top-p', p: 0.8 }))).toEqual(new Set(nucleus));
  });

  it('min-p keeps what is at least p times as likely as the best', () => {
    const probs = softmax(logits, 1);
    const best = probs[ranked[0] ?? 0] ?? 0;
    const kept = ranked.filter((id) => (probs[id] ?? 0) >= 0.2 * best);
    expect(new Set(draws(1, { kind: 'min-p', p: 0.2 }))).toEqual(new Set(kept));
  });

  it('top-k then top-p stays within both', () => {
    const samples = new Set(draws(3, { kind: 'top-k-top-p', k: 4, p: 0.5 }));
    for (const sample of samples) expect(ranked.slice(0, 4)).toContain(sample);
    expect(samples.size).toBeLessThan(4);
  });
});

describe('distributions', () => {
  it('are sorted, sum to at most 1 and hold at most top-k entries', () => {
    const [ids, probs] = distribution(logits, 1, 5);
    expect(ids).toEqual(ranked.slice(0, 5));
    expect([...probs].sort((a, b) => b - a)).toEqual(probs);
    expect(probs.reduce((sum, p) => sum + p, 0)).toBeLessThanOrEqual(1);
    const [allIds, allProbs] = distribution(logits, 1, undefined);
    expect(allIds.length).toBe(40);
    expect(allProbs.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 6);
    // Greedy: all the mass on the argmax; the zero-probability rest by id.
    expect(distribution(logits, 0, 3)).toEqual([
      [ranked[0], 0, 1],
      [1, 0, 0],
    ]);
  });

  it('topIds breaks ties by the smaller id', () => {
    expect(topIds([1, 3, 3, 2, 3], 3)).toEqual([1, 2, 4]);
    expect(topIds([1, 2], 5)).toEqual([1, 0]);
  });
});
