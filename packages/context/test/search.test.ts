/**
 * `inferlib:context/search` on the library's sources in Node, on the host-shim's reference model: `score`
 * against the log of the model's distribution over the whole vocabulary (computed here from its logits), for
 * tokens far outside the likeliest 32 too; beam search against the algorithm examples/beam-search ran by hand
 * before it was built in, and with one beam against greedy `complete`; best-of against `complete` and
 * `score`; the context's tokens and pages unchanged; errors as `err`s naming the call and the value.
 */
import type * as Inference from 'inferlib:context/inference';
import type * as Search from 'inferlib:context/search';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  builtinModel,
  type LanguageModel,
  qwen3Tokenizer,
  referenceModel,
  type Tokenizer,
} from '../../../host-shim/src/index.ts';
import { type BoundLibrary, errOf, loadBoundLibrary as load } from './bound-library.ts';
import { smallModel, smallTokenizer } from './small-vocabulary.ts';

const qwen3 = qwen3Tokenizer();
const small = smallTokenizer();
const greedy = { tag: 'greedy' } as const;

/** The reference model a host serves for `tokenizer`, for the tests to compute its distributions. */
function oracleOf(tokenizer: Tokenizer): LanguageModel {
  return referenceModel(tokenizer.vocabSize, tokenizer.encode('<|im_end|>')[0] ?? 0);
}

const qwen3Oracle = oracleOf(qwen3);
const smallOracle = oracleOf(small);

/** The logits of the token after `tokens` (at positions 0, 1, …). */
function logitsAfter(oracle: LanguageModel, tokens: readonly number[]): Float32Array {
  const entries = tokens.map((token, position) => ({ token, position }));
  const input = entries.at(-1);
  if (input === undefined) throw new Error('no token to predict after');
  return oracle.logits({ input, visible: entries, adapter: undefined });
}

/** The natural-log probability of `token` under the softmax of `logits` (temperature 1). */
function logSoftmax(logits: Float32Array, token: number): number {
  let max = -Infinity;
  for (const logit of logits) max = Math.max(max, logit);
  let sum = 0;
  for (const logit of logits) sum += Math.exp(logit - max);
  return (logits[token] as number) - max - Math.log(sum);
}

/** How many tokens are likelier than `token` after `logits`: 0 for the likeliest. */
const rankOf = (logits: Float32Array, token: number): number =>
  logits.reduce((count, logit) => (logit > (logits[token] as number) ? count + 1 : count), 0);

/** The log-probability of each of `continuation`'s tokens after `tokens` and those before it. */
function expectedScores(oracle: LanguageModel, tokens: readonly number[], continuation: readonly number[]) {
  return continuation.map((token, index) =>
    logSoftmax(logitsAfter(oracle, [...tokens, ...continuation.slice(0, index)]), token),
  );
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  // The host hands out probabilities as f32 and the scores are f32: a few ulps of a log-probability.
  expected.forEach((value, index) => {
    expect(
      Math.abs((actual[index] as number) - value),
      `score ${index}: ${actual[index]} vs ${value}`,
    ).toBeLessThan(1e-5 * Math.max(1, Math.abs(value)));
  });
}

function asked(library: BoundLibrary, prompt: string): Inference.Context {
  const context = new library.Context(library.model);
  context.fillUser(prompt);
  return context;
}

const untilEnd = (library: BoundLibrary, maxTokens = 48, stopStrings: readonly string[] = []) => ({
  maxTokens,
  eosSequences: library.model.eosTokens(),
  stopStrings: [...stopStrings],
});

/** The passes the instance ran so far. */
const passes = (library: BoundLibrary): number => library.host.passTimes.length;

describe('score', () => {
  it("is the log of the host's probability over the whole vocabulary, far outside the likeliest 32 too", async () => {
    const library = await load();
    const prompt = 'Echo me: one two three four five six seven eight nine ten eleven twelve.';
    const context = asked(library, prompt);
    context.flush();
    const tokens = [...context.getTokenIds()];
    // Twenty tokens: the start of the echo, then ids the copy model ranks anywhere in the vocabulary.
    const echo = qwen3.encode(prompt).slice(0, 5);
    const continuation = [
      ...echo,
      0,
      151_645,
      100_000,
      42,
      7_777,
      150_000,
      13,
      99,
      12_345,
      3,
      60_000,
      1,
      2,
      500,
      151_642,
    ];
    expect(continuation).toHaveLength(20);
    const before = passes(library);
    const scores = library.search.score(context, Uint32Array.from(continuation));
    const expected = expectedScores(qwen3Oracle, tokens, continuation);
    expectClose(scores, expected);
    // Found among the likeliest 32, 1,024 and 16,384, and only in the whole vocabulary: a pass each.
    const ranks = continuation.map((token, index) =>
      rankOf(logitsAfter(qwen3Oracle, [...tokens, ...continuation.slice(0, index)]), token),
    );
    expect(ranks.slice(0, 5).every((rank) => rank === 0)).toBe(true);
    expect(ranks.some((rank) => rank >= 16_384)).toBe(true);
    expect(passes(library) - before).toBe(4);
    // The echo alone: one pass.
    const echoed = passes(library);
    expectClose(library.search.score(context, Uint32Array.from(echo)), expected.slice(0, 5));
    expect(passes(library) - echoed).toBe(1);
  });

  it('leaves the context as it was: its tokens, its pages, what it generates next', async () => {
    const library = await load({ ...builtinModel, kvPageSize: 4 });
    const prompt = 'Echo me: alpha beta gamma delta.';
    const context = asked(library, prompt);
    const pending = passes(library);
    expectClose(library.search.score(context, new Uint32Array(0)), []);
    expect(passes(library)).toBe(pending);
    const fresh = asked(library, prompt);
    fresh.flush();
    const pages = library.instance.stats().kvPages;
    library.search.score(context, Uint32Array.from(qwen3.encode(' and more, and more')));
    // Its pending tokens ran, as `flush` runs them, into pages of its own; the continuation was taken back.
    expect([...context.getTokenIds()]).toEqual([...fresh.getTokenIds()]);
    expect(library.instance.stats().kvPages).toBe(2 * pages);
    const stop = untilEnd(library);
    expect(library.generation.complete(context, greedy, stop)).toEqual(
      library.generation.complete(fresh, greedy, stop),
    );
  });

  it('refuses a token outside the vocabulary, a dropped context and an empty one, naming the call', async () => {
    const library = await load();
    const context = asked(library, 'Echo me.');
    context.flush();
    const tokens = [...context.getTokenIds()];
    expect(errOf(() => library.search.score(context, Uint32Array.of(13, 200_000)))).toBe(
      "inferlib:context/search.score: continuation[1] is token 200000, outside the model's vocabulary (151646 tokens)",
    );
    expect([...context.getTokenIds()]).toEqual(tokens);
    expect(errOf(() => library.search.score(new library.Context(library.model), Uint32Array.of(1)))).toBe(
      'inferlib:context/search.score: the context is empty; fill it first',
    );
    context[Symbol.dispose]();
    expect(errOf(() => library.search.score(context, Uint32Array.of(1)))).toBe(
      'inferlib:context/search.score: the context was dropped',
    );
  });

  it('equals the reference for any prompt, continuation and page size; the context keeps its tokens (property)', async () => {
    const library = await load({ ...smallModel, kvPageSize: 3 });
    const [, vocabulary] = small.vocabs();
    const texts = ['{"name": "Ada"}', 'the yes and no', 'été 😀 中文', 'abc'];
    await fc.assert(
      fc.property(
        fc.constantFrom(...texts),
        fc.array(fc.integer({ min: 0, max: vocabulary.length - 1 }), { maxLength: 12 }),
        fc.boolean(),
        (prompt, continuation, flushed) => {
          const context = asked(library, prompt);
          if (flushed) context.flush();
          const reference = asked(library, prompt);
          reference.flush();
          const tokens = [...reference.getTokenIds()];
          const scores = library.search.score(context, Uint32Array.from(continuation));
          expectClose(scores, expectedScores(smallOracle, tokens, continuation));
          context.flush();
          expect([...context.getTokenIds()]).toEqual(tokens);
          context[Symbol.dispose]();
          reference[Symbol.dispose]();
          expect(library.instance.stats().kvPages).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/**
 * Beam search as examples/beam-search ran it by hand before `beam-search` was built in: one `predict` of the
 * `width` likeliest per beam, the `width` best pairs by summed log-probability, a fork per survivor, ended at
 * a one-token end of turn; ranked by the mean log-probability, the end of turn counted.
 */
function handBeamSearch(library: BoundLibrary, root: Inference.Context, width: number, maxTokens: number) {
  const endOfTurn = new Set(
    library.model.eosTokens().flatMap((sequence) => (sequence.length === 1 ? [...sequence] : [])),
  );
  const score = (sum: number, length: number) => sum / Math.max(1, length);
  let beams = [{ context: root, tokens: [] as number[], sum: 0 }];
  const finished: { tokens: number[]; score: number }[] = [];
  for (let step = 0; step < maxTokens && beams.length > 0; step++) {
    const candidates = beams.flatMap((beam) => {
      const { ids, probs } = library.generation.predict(beam.context, 1, width);
      return Array.from(ids, (token, index) => ({
        beam,
        token,
        sum: beam.sum + Math.log(probs[index] ?? 0),
      }));
    });
    candidates.sort((a, b) => b.sum - a.sum);
    const next: typeof beams = [];
    for (const { beam, token, sum } of candidates.slice(0, width)) {
      if (endOfTurn.has(token)) {
        finished.push({ tokens: [...beam.tokens, token], score: score(sum, beam.tokens.length + 1) });
        continue;
      }
      const context = library.generation.fork(beam.context);
      library.generation.fillTokens(context, Uint32Array.of(token));
      next.push({ context, tokens: [...beam.tokens, token], sum });
    }
    for (const beam of beams) if (beam.context !== root) beam.context[Symbol.dispose]();
    beams = next;
    if (finished.length >= width) break;
  }
  for (const beam of beams) {
    finished.push({ tokens: beam.tokens, score: score(beam.sum, beam.tokens.length) });
    if (beam.context !== root) beam.context[Symbol.dispose]();
  }
  finished.sort((a, b) => b.score - a.score);
  return finished.map(({ tokens, score }) => ({
    text: qwen3.decode(tokens.filter((token) => !endOfTurn.has(token))),
    tokens,
    logProb: Math.fround(score),
  }));
}

const summary = ({ tokens, text, logProb }: Search.Hypothesis) => ({ tokens: [...tokens], text, logProb });

describe('beam search', () => {
  it('gives what examples/beam-search computed by hand, for any prompt, width and length (property)', async () => {
    const library = await load();
    await fc.assert(
      fc.property(
        fc.constantFrom(
          'Echo me: one two three four, and the rest.',
          'Say hello to the world.',
          '東京 and 😀.',
        ),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 20 }),
        (prompt, width, maxTokens) => {
          const expected = handBeamSearch(library, asked(library, prompt), width, maxTokens);
          const context = asked(library, prompt);
          const hypotheses = library.search.beamSearch(context, width, untilEnd(library, maxTokens));
          expect(hypotheses.map(summary)).toEqual(expected);
          context[Symbol.dispose]();
        },
      ),
      // The first stops once 4 beams have ended, before max-tokens.
      { numRuns: 12, examples: [['Say hello to the world.', 4, 12]] },
    );
  });

  it('with one beam is greedy complete; every log-prob is the mean of the scores of its tokens (property)', async () => {
    const library = await load({ ...smallModel, kvPageSize: 2 });
    await fc.assert(
      fc.property(
        fc.constantFrom('the yes and no', 'abc abc', '{"name": "Ada"}'),
        fc.integer({ min: 0, max: 10 }),
        fc.constantFrom([], ['no'], ['b', 'yes']),
        fc.integer({ min: 1, max: 3 }),
        (prompt, maxTokens, stopStrings, width) => {
          const stop = untilEnd(library, maxTokens, stopStrings);
          const greedyContext = asked(library, prompt);
          const completion = library.generation.complete(greedyContext, greedy, stop);
          greedyContext[Symbol.dispose]();
          const context = asked(library, prompt);
          const [best] = library.search.beamSearch(context, 1, stop);
          expect({ tokens: [...(best?.tokens ?? [])], text: best?.text }).toEqual({
            tokens: [...completion.tokens],
            text: completion.text,
          });
          for (const hypothesis of library.search.beamSearch(context, width, stop)) {
            const scores = library.search.score(context, hypothesis.tokens);
            const mean = scores.reduce((sum, value) => sum + value, 0) / Math.max(1, scores.length);
            expect(hypothesis.logProb).toBeCloseTo(mean, 4);
          }
          context[Symbol.dispose]();
          expect(library.instance.stats().kvPages).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses no beams, a bad stop condition and a dropped context, naming the call', async () => {
    const library = await load();
    const context = asked(library, 'Echo me.');
    expect(errOf(() => library.search.beamSearch(context, 0, untilEnd(library)))).toBe(
      'inferlib:context/search.beam-search: beams 0: at least 1 is needed',
    );
    expect(errOf(() => library.search.beamSearch(context, 2, untilEnd(library, 4, [''])))).toBe(
      'inferlib:context/search.beam-search: stop-strings[0] is empty, so it would stop at once',
    );
    context[Symbol.dispose]();
    expect(errOf(() => library.search.beamSearch(context, 2, untilEnd(library)))).toBe(
      'inferlib:context/search.beam-search: the context was dropped',
    );
  });
});

describe('best-of', () => {
  it('with n = 1 and greedy is complete; log-probs are the mean scores; seeds reproduce (property)', async () => {
    const library = await load({ ...smallModel, kvPageSize: 3 });
    const samplers: Inference.SamplerConfig[] = [
      { tag: 'multinomial', val: 1.5 },
      { tag: 'top-k', val: [1.2, 5] },
      { tag: 'top-p', val: [0.7, 0.9] },
      { tag: 'min-p', val: [1, 0.05] },
      { tag: 'top-k-top-p', val: [1.3, 8, 0.8] },
    ];
    await fc.assert(
      fc.property(
        fc.constantFrom('the yes and no', 'abc abc', 'été 😀'),
        fc.integer({ min: 0, max: 10 }),
        fc.constantFrom([], ['no'], ['b', 'yes']),
        fc.constantFrom(...samplers),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (prompt, maxTokens, stopStrings, sampler, seed) => {
          const stop = untilEnd(library, maxTokens, stopStrings);
          const greedyContext = asked(library, prompt);
          const completion = library.generation.complete(greedyContext, greedy, stop);
          greedyContext[Symbol.dispose]();
          const context = asked(library, prompt);
          const [best] = library.search.bestOf(context, 1, greedy, stop).map(summary);
          expect(best && { tokens: best.tokens, text: best.text }).toEqual({
            tokens: [...completion.tokens],
            text: completion.text,
          });
          const sampled = () => {
            library.structured.seedSampling(context, seed);
            return library.search.bestOf(context, 3, sampler, stop);
          };
          const hypotheses = sampled();
          expect(hypotheses.map(summary)).toEqual(sampled().map(summary));
          for (const hypothesis of [...hypotheses, ...library.search.bestOf(context, 1, greedy, stop)]) {
            const scores = library.search.score(context, hypothesis.tokens);
            const mean = scores.reduce((sum, value) => sum + value, 0) / Math.max(1, scores.length);
            expect(hypothesis.logProb).toBeCloseTo(mean, 4);
          }
          const logProbs = hypotheses.map((hypothesis) => hypothesis.logProb);
          expect(logProbs).toEqual([...logProbs].sort((a, b) => b - a));
          context[Symbol.dispose]();
          expect(library.instance.stats().kvPages).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("draws as the sampler says: its temperature's distribution over its top-k", async () => {
    const library = await load({ ...smallModel, kvPageSize: 3 });
    const context = asked(library, 'abc abd abc ab');
    context.flush();
    const logits = logitsAfter(smallOracle, [...context.getTokenIds()]);
    const [temperature, k] = [4, 3];
    const top = Array.from(logits.keys())
      .sort((a, b) => (logits[b] as number) - (logits[a] as number))
      .slice(0, k);
    const weights = top.map((token) => Math.exp((logits[token] as number) / temperature));
    const expected = weights.map((weight) => weight / weights.reduce((sum, each) => sum + each, 0));
    library.structured.seedSampling(context, 11n);
    const answers = 300;
    const hypotheses = library.search.bestOf(
      context,
      answers,
      { tag: 'top-k', val: [temperature, k] },
      {
        maxTokens: 1,
        eosSequences: [],
        stopStrings: [],
      },
    );
    const drawn = top.map(
      (token) => hypotheses.filter((hypothesis) => hypothesis.tokens[0] === token).length / answers,
    );
    expect(drawn.reduce((sum, share) => sum + share, 0)).toBe(1);
    // Three standard deviations of a share of 300 draws; untempered, the likeliest would take ~99 %.
    for (const [index, share] of drawn.entries()) {
      expect(Math.abs(share - (expected[index] as number))).toBeLessThan(0.08);
    }
    expect(expected[0]).toBeLessThan(0.9);
  });

  it('runs the prompt once: each later pass is one token, or a fork’s tail of the prompt', async () => {
    const library = await load();
    const prompt =
      'Echo me: one two three four five six seven eight nine ten, and then all of it once again.';
    const context = asked(library, prompt);
    library.structured.seedSampling(context, 7n);
    const hypotheses = library.search.bestOf(context, 4, { tag: 'top-k', val: [1.2, 50] }, untilEnd(library));
    expect(hypotheses).toHaveLength(4);
    expect(hypotheses[0]?.text).toBe(prompt);
    const [prefill = 0, ...rest] = library.host.passTimes.map((pass) => pass.inputs);
    expect(prefill).toBe(context.getTokenIds().length);
    expect(Math.max(...rest)).toBeLessThanOrEqual(prefill % 16);
  });

  it('refuses n = 0, a sampler out of range and a top-k of 0, naming the call', async () => {
    const library = await load();
    const context = asked(library, 'Echo me.');
    expect(errOf(() => library.search.bestOf(context, 0, greedy, untilEnd(library)))).toBe(
      'inferlib:context/search.best-of: n 0: at least 1 is needed',
    );
    expect(
      errOf(() => library.search.bestOf(context, 2, { tag: 'top-p', val: [1, 1.5] }, untilEnd(library))),
    ).toBe('inferlib:context/search.best-of: top-p 1.5 is not within (0, 1]');
    expect(
      errOf(() => library.search.bestOf(context, 2, { tag: 'top-k', val: [1, 0] }, untilEnd(library))),
    ).toBe('inferlib:context/search.best-of: top-k 0 keeps no token: it must be at least 1');
  });
});
