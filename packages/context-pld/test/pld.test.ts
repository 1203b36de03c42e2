/**
 * context-pld on the library's sources in Node, against context on the same host-shim reference model
 * (which copies earlier text, so prompt lookup has something to find): greedy output identical for every
 * prompt and page size, fewer forward passes than tokens on text that repeats the prompt, rejected drafts'
 * pages given back, and stops that end inside an accepted draft handled exactly.
 */
import type * as Inference from 'inferlib:context/inference';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinModel, qwen3Tokenizer } from '../../../host-shim/src/index.ts';
import { promptLookup } from '../../context/src/prompt-lookup.ts';
import { type BoundLibrary, loadBoundLibrary } from '../../context/test/bound-library.ts';

interface Library extends BoundLibrary {
  readonly Speculative: typeof Inference.Context;
}

/** The library bound to a fresh host, with context-pld's `Context` beside context's. */
async function load(kvPageSize: number): Promise<Library> {
  const library = await loadBoundLibrary({ ...builtinModel, kvPageSize });
  const { Context: Speculative } = await import('../src/index.ts');
  return { ...library, Speculative };
}

const tokenizer = qwen3Tokenizer();
const [endOfTurn = 0] = tokenizer.encode('<|im_end|>');
const greedy = { tag: 'greedy' } as const;

/** Runs `use` on a new context of `kind`; what it returned, the tokens held, and the passes it took. */
function measure<T>(
  library: Library,
  kind: 'Context' | 'Speculative',
  use: (context: Inference.Context) => T,
) {
  const passesBefore = library.host.passTimes.length;
  const context = new library[kind](library.model);
  const result = use(context);
  const tokens = [...context.getTokenIds()];
  const pages = library.instance.stats().kvPages;
  context[Symbol.dispose]();
  return { result, tokens, pages, passes: library.host.passTimes.length - passesBefore };
}

describe('prompt lookup', () => {
  it('proposes what followed the latest longest match of the last tokens', () => {
    const propose = promptLookup();
    expect(propose([1, 2, 3, 9, 2, 3, 7, 8], [2, 3], 3)).toEqual([7, 8, 2]);
    expect(propose([5, 6], [7], 4)).toEqual([]);
    expect(propose([4, 4, 4], [4], 2)).toEqual([4]);
  });
});

describe('context-pld against context', () => {
  const prompts = fc.constantFrom(
    'Echo me: one two three four five six seven eight nine ten.',
    'Repeat: the cat sat on the mat, the cat sat on the hat.',
    '東京 大阪 東京 京都, 東京!',
    'Hi.',
  );

  it('generates the same tokens greedily, whatever the prompt, page size and max-tokens', async () => {
    await fc.assert(
      fc.asyncProperty(
        prompts,
        fc.integer({ min: 1, max: 17 }),
        fc.integer({ min: 1, max: 40 }),
        async (prompt, pageSize, maxTokens) => {
          const library = await load(pageSize);
          const stop = { maxTokens, eosSequences: [Uint32Array.of(endOfTurn)] };
          const run = (context: Inference.Context) => {
            context.fillUser(prompt);
            const text = context.generate(greedy, stop);
            context.fillUser('Again, please.');
            return [text, context.generate(greedy, stop)];
          };
          const plain = measure(library, 'Context', run);
          const speculative = measure(library, 'Speculative', run);
          expect(speculative.result).toEqual(plain.result);
          expect(speculative.tokens).toEqual(plain.tokens);
          // No page beyond what the tokens need: rejected drafts were given back (a stop inside accepted
          // drafts leaves the last token computed where context leaves it pending: a page more at most).
          expect(speculative.pages).toBeLessThanOrEqual(Math.ceil(speculative.tokens.length / pageSize));
          expect(speculative.passes).toBeLessThanOrEqual(plain.passes);
        },
      ),
      { numRuns: 30, seed: 5 },
    );
  });

  it('takes fewer passes than tokens on text that repeats the prompt', async () => {
    const library = await load(16);
    const run = (context: Inference.Context) => {
      context.fillUser('Echo me: one two three four five six seven eight nine ten eleven twelve.');
      context.flush();
      return context.generate(greedy, { maxTokens: 64, eosSequences: [Uint32Array.of(endOfTurn)] });
    };
    const plain = measure(library, 'Context', run);
    const speculative = measure(library, 'Speculative', run);
    expect(speculative.result).toBe(plain.result);
    const generated = tokenizer.encode(plain.result).length;
    expect(plain.passes).toBe(1 + generated);
    expect(speculative.passes).toBeLessThan(1 + generated / 2);
  });

  it('ends exactly at a stop inside an accepted draft, holding no token after it', async () => {
    const library = await load(4);
    const [six = 0] = tokenizer.encode(' six');
    const prompt = 'Echo me: one two three four five six seven eight.';
    const cases = [
      { maxTokens: 40, eosSequences: [Uint32Array.of(six)], stopStrings: [] },
      { maxTokens: 40, eosSequences: [Uint32Array.of(endOfTurn)], stopStrings: ['ive s'] },
      { maxTokens: 7, eosSequences: [Uint32Array.of(endOfTurn)], stopStrings: [] },
    ];
    for (const stop of cases) {
      const run = (context: Inference.Context) => {
        context.fillUser(prompt);
        context.flush();
        return library.generation.complete(context, greedy, stop);
      };
      const plain = measure(library, 'Context', run);
      const speculative = measure(library, 'Speculative', run);
      expect(speculative.result).toEqual(plain.result);
      expect(speculative.tokens).toEqual(plain.tokens);
      expect(speculative.pages).toBeLessThanOrEqual(Math.ceil(speculative.tokens.length / 4));
    }
  });

  it('forks of a speculative context speculate too, and agree with context', async () => {
    const library = await load(4);
    const run = (context: Inference.Context) => {
      context.fillUser('Echo me: alpha beta gamma delta epsilon.');
      context.flush();
      const fork = library.generation.fork(context);
      const text = fork.generate(greedy, { maxTokens: 30, eosSequences: [Uint32Array.of(endOfTurn)] });
      fork[Symbol.dispose]();
      return text;
    };
    const plain = measure(library, 'Context', run);
    const speculative = measure(library, 'Speculative', run);
    expect(speculative.result).toBe(plain.result);
    expect(speculative.passes).toBeLessThan(plain.passes);
  });
});
