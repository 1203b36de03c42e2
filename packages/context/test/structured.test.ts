/**
 * `inferlib:context/structured` on the library's sources in Node, on the host-shim's reference model: over a
 * small vocabulary built to split text where constraints separate it (thousands of runs), and over Qwen 3's.
 * Every completed text must parse and validate under ajv, every text cut by `max-tokens` must be the start
 * of a valid one, and the context must hold exactly the tokens generated.
 */
import type * as Generation from 'inferlib:context/generation';
import type * as Inference from 'inferlib:context/inference';
import type { Constraint } from 'inferlib:grammar/matcher';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Grammar } from '../../grammar/src/index.ts';
import { type Schema, schema as schemaArbitrary, validator } from '../../grammar/test/schemas.ts';
import { completion as completionOf, seeded } from '../../grammar/test/walk.ts';
import { type BoundLibrary, loadBoundLibrary as load } from './bound-library.ts';
import { smallModel, smallTokenizer } from './small-vocabulary.ts';

const valid = validator();
const small = smallTokenizer();
const [endOfTurn = 0] = small.encode('<|im_end|>');
const [, vocabularyBytes] = small.vocabs();

function bytesOf(tokens: readonly number[]): Uint8Array {
  const parts = tokens.map((token) => vocabularyBytes[token] ?? new Uint8Array());
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  parts.reduce((offset, part) => {
    all.set(part, offset);
    return offset + part.length;
  }, 0);
  return all;
}

/** Room for a cut run to finish, run again to show what the cut text starts. */
const uncutTokens = 200;

const samplers: readonly Inference.SamplerConfig[] = [
  { tag: 'greedy' },
  { tag: 'multinomial', val: 1 },
  { tag: 'top-p', val: [1, 0.9] },
  { tag: 'top-k', val: [1, 20] },
  { tag: 'min-p', val: [1, 0.05] },
  { tag: 'top-k-top-p', val: [1.3, 40, 0.8] },
];

const asSchema = (schema: Schema): Constraint => ({ tag: 'json-schema', val: JSON.stringify(schema) });

function asked(library: BoundLibrary, prompt: string): Inference.Context {
  const context = new library.Context(library.model);
  context.fillUser(prompt);
  return context;
}

/** Whether the grammar of `constraint` reads `text` whole (`complete`) or as the start of a match. */
function judge(constraint: Constraint, text: string): 'complete' | 'prefix' | 'refused' {
  const matcher = Grammar.compile(constraint).matcher();
  if (!matcher.advanceText(text)) return 'refused';
  return matcher.isComplete() ? 'complete' : 'prefix';
}

/** The grammar compiles `schema` (the random ones may match nothing). */
function compiles(schema: Schema): boolean {
  try {
    Grammar.compile(asSchema(schema));
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks one completion against its constraint, its context and (for JSON) ajv. A text cut by `max-tokens`
 * must start a valid one: the same run with room to finish (`uncut`) does, else a walk through the grammar.
 */
function checkCompletion(
  context: Inference.Context,
  tokensBefore: readonly number[],
  completion: Generation.Completion,
  constraint: Constraint,
  schema: Schema | undefined,
  uncut: () => Generation.Completion,
): void {
  const { text, tokens, finish } = completion;
  // The context holds the prompt and exactly the tokens generated; their text is the completion's.
  expect([...context.getTokenIds()]).toEqual([...tokensBefore, ...tokens]);
  const textTokens = finish === 'eos-sequence' ? [...tokens].slice(0, -1) : [...tokens];
  expect(textTokens).not.toContain(endOfTurn);
  // The text is the tokens' bytes but for a character cut short at the end.
  const written = bytesOf(textTokens);
  const textBytes = new TextEncoder().encode(text);
  expect([...written.subarray(0, textBytes.length)]).toEqual([...textBytes]);
  expect(written.length - textBytes.length).toBeLessThan(finish === 'max-tokens' ? 4 : 1);
  if (finish === 'eos-sequence') {
    expect(tokens.at(-1)).toBe(endOfTurn);
    expect(judge(constraint, text), text).toBe('complete');
    if (schema !== undefined) expect(valid(schema, JSON.parse(text)), text).toBe(true);
    return;
  }
  expect(finish).toBe('max-tokens');
  expect(judge(constraint, text), text).not.toBe('refused');
  if (schema === undefined) return;
  const whole = uncut();
  if (whole.finish === 'eos-sequence') {
    expect(whole.text.startsWith(text), `${text} starts ${whole.text}`).toBe(true);
    expect(valid(schema, JSON.parse(whole.text)), whole.text).toBe(true);
    return;
  }
  const matcher = Grammar.compile(constraint).matcher();
  matcher.advanceText(text);
  const rest = completionOf(matcher, seeded(text.length));
  expect(rest, `no completion of ${text}`).toBeDefined();
  expect(valid(schema, JSON.parse(text + rest)), text + rest).toBe(true);
}

describe('structured generation, small vocabulary', () => {
  it('writes only valid JSON for random schemas, prompts, samplers and seeds; a cut text is a valid start', async () => {
    const library = await load(smallModel);
    let runs = 0;
    fc.assert(
      fc.property(
        schemaArbitrary.filter(compiles),
        fc.string({ maxLength: 40 }),
        fc.constantFrom(...samplers),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 1, max: 48 }),
        (schema, prompt, sampler, seed, maxTokens) => {
          const constraint = asSchema(schema);
          const run = (check: (context: Inference.Context, before: number[]) => void) => {
            const context = asked(library, `Answer in JSON. ${prompt}`);
            context.flush();
            const before = [...context.getTokenIds()];
            library.structured.seedSampling(context, seed);
            check(context, before);
            context[Symbol.dispose]();
          };
          run((context, before) => {
            const completion = library.structured.completeStructured(context, sampler, constraint, maxTokens);
            const uncut = () => {
              let whole: Generation.Completion | undefined;
              run((again) => {
                whole = library.structured.completeStructured(again, sampler, constraint, uncutTokens);
              });
              return whole as Generation.Completion;
            };
            checkCompletion(context, before, completion, constraint, schema, uncut);
          });
          runs++;
        },
      ),
      { numRuns: 2000 },
    );
    expect(runs).toBe(2000);
  }, 180_000);

  it('matches regular expressions and choices the same way', async () => {
    const library = await load(smallModel);
    const constraints: Constraint[] = [
      { tag: 'regex', val: '(yes|no|maybe)' },
      { tag: 'regex', val: '\\d{4}-\\d{2}-\\d{2}' },
      { tag: 'regex', val: '[a-c]+é?' },
      { tag: 'regex', val: '.{0,12}' },
      { tag: 'regex', val: '中+|😀+' },
      { tag: 'choice', val: ['yes', 'no', 'maybe', 'été', '中文'] },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...constraints),
        fc.string({ maxLength: 20 }),
        fc.constantFrom(...samplers),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 1, max: 16 }),
        (constraint, prompt, sampler, seed, maxTokens) => {
          const context = asked(library, prompt);
          context.flush();
          const before = [...context.getTokenIds()];
          library.structured.seedSampling(context, seed);
          const completion = library.structured.completeStructured(context, sampler, constraint, maxTokens);
          checkCompletion(context, before, completion, constraint, undefined, () => completion);
          context[Symbol.dispose]();
        },
      ),
      { numRuns: 400 },
    );
  });
});
