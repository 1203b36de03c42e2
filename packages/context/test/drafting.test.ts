/**
 * `inferlib:context/drafting` on the library's sources in Node, against plain generation on the host-shim's
 * reference model: greedy output identical whatever drafts a random drafter proposes (through the app-side
 * `completeWithDrafter`) and with prompt lookup chosen at run time, one forward pass per batch of drafts,
 * and errors naming the call and the value.
 */
import type * as Inference from 'inferlib:context/inference';
import { SeededRandom } from '@inferlib/support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinModel, qwen3Tokenizer } from '../../../host-shim/src/index.ts';
import type * as AppDrafting from '../../context-bindings/src/drafting.ts';
import { type BoundLibrary, loadBoundLibrary } from './bound-library.ts';

interface Library extends BoundLibrary {
  readonly completeWithDrafter: typeof AppDrafting.completeWithDrafter;
}

/** The library bound to a fresh host, with the app-side helper linked to the same copy. */
async function load(kvPageSize = 16): Promise<Library> {
  const library = await loadBoundLibrary({ ...builtinModel, kvPageSize });
  const { completeWithDrafter } = await import('../../context-bindings/src/drafting.ts');
  return { ...library, completeWithDrafter };
}

const tokenizer = qwen3Tokenizer();
const [endOfTurn = 0] = tokenizer.encode('<|im_end|>');
const greedy = { tag: 'greedy' } as const;

/**
 * A drafter proposing at random: runs copied from anywhere in the context (which the reference model, a
 * copier, often confirms) and token ids from anywhere in the vocabulary (which it rarely does).
 */
function randomDrafter(seed: number, maxDrafts: number) {
  const random = new SeededRandom(seed);
  const below = (bound: number) => Math.floor(random.next() * bound);
  const propose = (processed: readonly number[], pending: readonly number[], max: number): number[] => {
    const tokens = [...processed, ...pending];
    const drafts: number[] = [];
    const count = below(max + 1);
    let from = below(tokens.length);
    while (drafts.length < count) {
      if (random.next() < 0.2) drafts.push(below(tokenizer.vocabSize));
      else drafts.push(tokens[from++ % tokens.length] as number);
    }
    return drafts;
  };
  return Object.assign(propose, { maxDrafts });
}

/** Runs `use` on a new context; what it returned, the tokens held, the pages held, and the passes it took. */
function measure<T>(library: Library, use: (context: Inference.Context) => T) {
  const passesBefore = library.host.passTimes.length;
  const context = new library.Context(library.model);
  const result = use(context);
  const tokens = [...context.getTokenIds()];
  const pages = library.instance.stats().kvPages;
  context[Symbol.dispose]();
  return { result, tokens, pages, passes: library.host.passTimes.length - passesBefore };
}

const words = ['one', 'two', 'three', 'the', 'cat', 'sat', 'on', 'mat', '東京', 'é', '!', '\n'];
const prompts = fc.oneof(
  fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 24 }).map((some) => some.join(' ')),
  fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
);

describe('drafting: greedy output is the same with any drafter', () => {
  it('a random drafter (the app drafting), prompt lookup chosen at run time, and none agree on every token', async () => {
    // Passes the drafts saved over all runs: some drafts were accepted, not only rejected.
    let passesSaved = 0;
    await fc.assert(
      fc.asyncProperty(
        prompts,
        fc.integer({ min: 1, max: 17 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer(),
        fc.record({
          maxDrafts: fc.integer({ min: 1, max: 12 }),
          longestMatch: fc.integer({ min: 1, max: 5 }),
        }),
        async (prompt, pageSize, maxTokens, maxDrafts, seed, lookup) => {
          const library = await load(pageSize);
          const stop = { maxTokens, eosSequences: [Uint32Array.of(endOfTurn)], stopStrings: [] };
          const run = (complete: (context: Inference.Context) => unknown) => (context: Inference.Context) => {
            context.fillUser(prompt);
            const first = complete(context);
            context.fillUser('Again, please.');
            return [first, complete(context)];
          };
          const plain = measure(
            library,
            run((context) => library.generation.complete(context, greedy, stop)),
          );
          const drafter = randomDrafter(seed, maxDrafts);
          const drafted = measure(
            library,
            run((context) => library.completeWithDrafter(context, greedy, stop, drafter)),
          );
          const lookedUp = measure(library, (context) => {
            library.drafting.setDrafter(context, { tag: 'prompt-lookup', val: lookup });
            return run((each) => library.generation.complete(each, greedy, stop))(context);
          });
          for (const other of [drafted, lookedUp]) {
            expect(other.result).toEqual(plain.result);
            expect(other.tokens).toEqual(plain.tokens);
            // Rejected drafts' pages were given back; every pass generated at least one token.
            expect(other.pages).toBeLessThanOrEqual(Math.ceil(other.tokens.length / pageSize));
            expect(other.passes).toBeLessThanOrEqual(plain.passes);
          }
          passesSaved += plain.passes - drafted.passes;
        },
      ),
      { numRuns: 30, seed: 22 },
    );
    expect(passesSaved).toBeGreaterThan(0);
  });
});

describe('drafting: a drafted generator', () => {
  /** A context holding a prompt, and the greedy answer plain generation gives after it. */
  async function prepared(prompt: string) {
    const library = await load(4);
    const reference = new library.Context(library.model);
    reference.fillUser(prompt);
    const answer = library.generation.complete(reference, greedy, {
      maxTokens: 40,
      eosSequences: [Uint32Array.of(endOfTurn)],
      stopStrings: [],
    });
    reference[Symbol.dispose]();
    const context = new library.Context(library.model);
    context.fillUser(prompt);
    return { library, context, answer: [...answer.tokens] };
  }

  it('verifies each batch in one pass: the drafts up to the first wrong one, and the token after them', async () => {
    const { library, context, answer } = await prepared(
      'Echo me: one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen.',
    );
    const generator = new library.drafting.DraftedGenerator(context, greedy, {
      maxTokens: 40,
      eosSequences: [Uint32Array.of(endOfTurn)],
      stopStrings: [],
    });
    const generated: number[] = [];
    // Batches of the true answer, each with a wrong token at `wrongAt` (none where it is past the batch).
    for (const [size, wrongAt] of [
      [0, 0],
      [5, 5],
      [4, 2],
      [6, 0],
      [3, 3],
    ] as const) {
      const drafts = answer.slice(generated.length, generated.length + size);
      if (wrongAt < drafts.length) drafts[wrongAt] = (drafts[wrongAt] as number) + 1;
      const passesBefore = library.host.passTimes.length;
      const steps = generator.next(Uint32Array.from(drafts));
      expect(library.host.passTimes.length - passesBefore).toBe(1);
      expect(steps).toHaveLength(Math.min(wrongAt, drafts.length) + 1);
      generated.push(...steps.map((step) => step.token));
    }
    expect(generated).toEqual(answer.slice(0, generated.length));
    // The rest in one batch: it ends at the end of turn, the drafts after it given back.
    const rest = generator.next(Uint32Array.from([...answer.slice(generated.length), 1, 2, 3]));
    generated.push(...rest.map((step) => step.token));
    expect(generated).toEqual(answer);
    expect(generator.finish()).toBe('eos-sequence');
    expect(generator.next(Uint32Array.of(1))).toEqual([]);
    expect(tokenizer.decode([...context.getTokenIds()]).endsWith('<|im_end|>')).toBe(true);
    expect(context.getTokenIds().at(-1)).toBe(endOfTurn);
  });

  it('takes the drafter chosen for a context into its forks; none set again drafts nothing', async () => {
    const library = await load(4);
    const stop = { maxTokens: 30, eosSequences: [Uint32Array.of(endOfTurn)], stopStrings: [] };
    const run = (drafter: 'none' | 'prompt-lookup') =>
      measure(library, (context) => {
        library.drafting.setDrafter(context, {
          tag: 'prompt-lookup',
          val: { maxDrafts: 8, longestMatch: 3 },
        });
        if (drafter === 'none') library.drafting.setDrafter(context, { tag: 'none' });
        context.fillUser('Echo me: alpha beta gamma delta epsilon zeta.');
        context.flush();
        const fork = library.generation.fork(context);
        const completion = library.generation.complete(fork, greedy, stop);
        fork[Symbol.dispose]();
        return completion;
      });
    const none = run('none');
    const lookedUp = run('prompt-lookup');
    expect(lookedUp.result).toEqual(none.result);
    expect(none.passes).toBe(1 + none.result.tokens.length);
    expect(lookedUp.passes).toBeLessThan(1 + none.result.tokens.length / 2);
  });

  it('gives the draft source: the tokens run and those the next pass runs', async () => {
    const { library, context } = await prepared('Echo me.');
    const filled = tokenizer.encode('<|im_start|>user\nEcho me.<|im_end|>\n<|im_start|>assistant\n');
    expect(library.drafting.getDraftSource(context)).toEqual({
      processed: new Uint32Array(0),
      pending: Uint32Array.from(filled),
    });
    context.flush();
    expect(library.drafting.getDraftSource(context)).toEqual({
      processed: Uint32Array.from(filled),
      pending: new Uint32Array(0),
    });
  });
});

describe('drafting: bad input is an error naming the call and the value', () => {
  it('set-drafter refuses options out of range', async () => {
    const library = await load();
    const context = new library.Context(library.model);
    const setDrafter = (maxDrafts: number, longestMatch: number) => () =>
      library.drafting.setDrafter(context, { tag: 'prompt-lookup', val: { maxDrafts, longestMatch } });
    const call = 'inferlib:context/drafting.set-drafter';
    expect(setDrafter(0, 3)).toThrow(`${call}: max-drafts 0: at least 1 is needed`);
    expect(setDrafter(8, 0)).toThrow(`${call}: longest-match 0: at least 1 is needed`);
    expect(setDrafter(-1, 3)).toThrow(`${call}: max-drafts -1 is not a count (a u32)`);
    expect(setDrafter(8, 2 ** 31)).toThrow(
      `${call}: longest-match 2147483648 is 2^31 or more, which no generation means; a negative number wrapped around to a u32?`,
    );
  });

  it('a drafted generator refuses a draft outside the vocabulary before any pass, and bad arguments at its first next', async () => {
    const library = await load();
    const context = new library.Context(library.model);
    context.fillUser('Echo me.');
    const stop = { maxTokens: 8, eosSequences: [Uint32Array.of(endOfTurn)], stopStrings: [] };
    const generator = new library.drafting.DraftedGenerator(context, greedy, stop);
    const passesBefore = library.host.passTimes.length;
    expect(() => generator.next(Uint32Array.of(7, 200_000))).toThrow(
      "inferlib:context/drafting.drafted-generator.next: drafts[1] is token 200000, outside the model's vocabulary (151646 tokens)",
    );
    expect(library.host.passTimes.length).toBe(passesBefore);
    const refused = new library.drafting.DraftedGenerator(context, { tag: 'top-p', val: [1, 1.5] }, stop);
    expect(() => refused.next(new Uint32Array(0))).toThrow(
      'inferlib:context/drafting.drafted-generator: top-p 1.5 is not within (0, 1]',
    );
    context[Symbol.dispose]();
    expect(() => generator.next(new Uint32Array(0))).toThrow(
      'inferlib:context/drafting.drafted-generator.next: the context it generates from was dropped',
    );
    expect(() => library.drafting.setDrafter(context, { tag: 'none' })).toThrow(
      'inferlib:context/drafting.set-drafter: the context was dropped',
    );
  });

  it('completeWithDrafter refuses a drafter that breaks its contract: more than max, or what is not a token id', async () => {
    const library = await load();
    const stop = { maxTokens: 8, eosSequences: [Uint32Array.of(endOfTurn)], stopStrings: [] };
    const attempt = (drafts: number[]) => () => {
      const context = new library.Context(library.model);
      context.fillUser('Echo me.');
      const propose = Object.assign(() => drafts, { maxDrafts: 2 });
      library.completeWithDrafter(context, greedy, stop, propose);
    };
    expect(attempt([1, 2, 3])).toThrow('completeWithDrafter: the drafter proposed 3 drafts, more than max 2');
    expect(attempt([1, -4])).toThrow(
      'completeWithDrafter: the drafter proposed drafts[1] -4, which is not a token id (a u32)',
    );
  });
});
