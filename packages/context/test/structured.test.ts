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

/** Runs of the small-vocabulary property: 2,000 in CI; `pnpm fuzz:structured --runs N [--seed S]` for more. */
const propertyRuns = Number(process.env.STRUCTURED_RUNS ?? 2000);
const propertySeed =
  process.env.STRUCTURED_SEED === undefined ? {} : { seed: Number(process.env.STRUCTURED_SEED) };

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
  it(
    'writes only valid JSON for random schemas, prompts, samplers and seeds; a cut text is a valid start',
    async () => {
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
              const completion = library.structured.completeStructured(
                context,
                sampler,
                constraint,
                maxTokens,
              );
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
        { numRuns: propertyRuns, ...propertySeed },
      );
      expect(runs).toBe(propertyRuns);
    },
    180_000 + propertyRuns * 60,
  );

  it(
    'matches regular expressions and choices the same way',
    async () => {
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
        { numRuns: Math.ceil(propertyRuns / 5), ...propertySeed },
      );
    },
    30_000 + propertyRuns * 10,
  );
});

describe('structured generation, exactly', () => {
  it('greedy takes the likeliest token the constraint allows, from the whole distribution', async () => {
    const library = await load(smallModel);
    // Nothing is forced here: every token is the model's choice.
    const constraint: Constraint = { tag: 'regex', val: '[a-z é中]{1,40}' };
    for (const prompt of ['<tool_call>abc been there, 中文 été', 'Zebra 12 yes no maybe', '']) {
      const context = asked(library, prompt);
      context.flush();
      const before = [...context.getTokenIds()];
      const { tokens, finish } = library.structured.completeStructured(
        context,
        { tag: 'greedy' },
        constraint,
        24,
      );
      const generated = finish === 'eos-sequence' ? [...tokens].slice(0, -1) : [...tokens];
      const matcher = Grammar.compile(constraint).matcher();
      generated.forEach((token, index) => {
        const replay = new library.Context(library.model);
        library.generation.fillTokens(replay, Uint32Array.from([...before, ...generated.slice(0, index)]));
        const { ids } = library.generation.predict(replay, 1, small.vocabSize);
        const likeliest = [...ids].find(
          (id) => id !== endOfTurn && matcher.allows([vocabularyBytes[id] ?? new Uint8Array()])[0],
        );
        expect(token, `step ${index} of ${JSON.stringify(prompt)}`).toBe(likeliest);
        matcher.advanceBytes(vocabularyBytes[token] ?? new Uint8Array());
        replay[Symbol.dispose]();
      });
    }
  });

  it('never writes a control token, whatever text the constraint allows', async () => {
    const library = await load(smallModel);
    const [toolCall] = small.encode('<tool_call>');
    for (let seed = 0n; seed < 20n; seed++) {
      // The copy model would copy the control token; its text is allowed, the token never is.
      const context = new library.Context(library.model);
      context.fill('<tool_call><tool_call> a <tool_call> b <tool_call>');
      library.structured.seedSampling(context, seed);
      const { tokens, text } = library.structured.completeStructured(
        context,
        { tag: 'multinomial', val: 1 },
        { tag: 'regex', val: '.{0,30}' },
        12,
      );
      expect([...tokens]).not.toContain(toolCall);
      expect(judge({ tag: 'regex', val: '.{0,30}' }, text)).not.toBe('refused');
    }
  });

  it('fills forced text without a pass per token, tokenized as the model would', async () => {
    const library = await load(smallModel);
    const schema = {
      type: 'object',
      properties: {
        name: { const: 'Ada' },
        tags: { type: 'array', items: { enum: ['yes', 'maybe'] }, maxItems: 2 },
      },
      required: ['name', 'tags'],
      additionalProperties: false,
    };
    const context = asked(library, 'x');
    context.flush();
    const passes = library.host.passTimes.length;
    const generator = new library.structured.StructuredGenerator(
      context,
      { tag: 'greedy' },
      asSchema(schema),
      64,
    );
    const steps: { token: number; text: string; passes: number }[] = [];
    for (let step = generator.next(); step !== undefined; step = generator.next()) {
      steps.push({ ...step, passes: library.host.passTimes.length - passes });
    }
    const text = steps.map((step) => step.text).join('');
    expect(valid(schema, JSON.parse(text))).toBe(true);
    // The forced start is written as the tokenizer writes it, without a pass, but for its last token, which
    // the model writes.
    const start = small.encode('{"name": "Ada", "tags": [');
    const forced = steps.slice(0, start.length - 1);
    expect(forced.map((step) => step.token)).toEqual(start.slice(0, -1));
    expect(forced.map((step) => step.passes)).toEqual(forced.map(() => 0));
    expect(steps[start.length - 1]?.passes).toBeGreaterThan(0);
  });

  it('the seed decides the draws: the same seed, the same text', async () => {
    const library = await load(smallModel);
    const texts = [1n, 1n, 2n, 3n].map((seed) => {
      const context = asked(library, 'Answer yes, no or maybe: maybe yes no');
      library.structured.seedSampling(context, seed);
      return library.structured.completeStructured(
        context,
        { tag: 'multinomial', val: 50 },
        { tag: 'regex', val: '[a-z]{8}' },
        16,
      ).text;
    });
    expect(texts[1]).toBe(texts[0]);
    expect(new Set(texts).size).toBeGreaterThan(1);
  });

  it('refuses bad arguments with the err of the first step, naming the call and the value', async () => {
    const library = await load(smallModel);
    const context = asked(library, 'x');
    const refusal = (sampler: Inference.SamplerConfig, constraint: Constraint, maxTokens: number) => {
      try {
        library.structured.completeStructured(context, sampler, constraint, maxTokens);
        return 'completed';
      } catch (thrown) {
        return thrown;
      }
    };
    const call = 'inferlib:context/structured.complete-structured';
    const json: Constraint = { tag: 'json' };
    expect(refusal({ tag: 'multinomial', val: -1 }, json, 4)).toBe(
      `${call}: temperature -1 is not a finite number ≥ 0`,
    );
    expect(refusal({ tag: 'min-p', val: [1, 2] }, json, 4)).toBe(`${call}: min-p 2 is not within [0, 1]`);
    expect(refusal({ tag: 'top-k', val: [1, -3] }, json, 4)).toBe(`${call}: top-k -3 is not a count (a u32)`);
    expect(refusal({ tag: 'greedy' }, json, -1)).toBe(`${call}: max-tokens -1 is not a count (a u32)`);
    expect(refusal({ tag: 'greedy' }, { tag: 'choice', val: [] }, 4)).toBe(
      `${call}: constraint choice: the list is empty, so nothing could match`,
    );
    const generator = new library.structured.StructuredGenerator(
      context,
      { tag: 'greedy' },
      { tag: 'regex', val: 'a(' },
      4,
    );
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(() => generator.next()).toThrow();
    }
    context[Symbol.dispose]();
    expect(() => library.structured.completeStructured(context, { tag: 'greedy' }, json, 4)).toThrow(
      `${call}: the context was dropped`,
    );
  });
});

describe("structured generation, Qwen 3's vocabulary", () => {
  it('writes valid JSON for random schemas with the real tokenizer', async () => {
    const library = await load();
    fc.assert(
      fc.property(schemaArbitrary.filter(compiles), fc.integer({ min: 0, max: 1000 }), (schema, seed) => {
        const context = asked(library, 'Answer in JSON.');
        library.structured.seedSampling(context, BigInt(seed));
        const constraint = asSchema(schema);
        const { text, finish } = library.structured.completeStructured(
          context,
          { tag: 'top-p', val: [1, 0.9] },
          constraint,
          24,
        );
        if (finish === 'eos-sequence') expect(valid(schema, JSON.parse(text)), text).toBe(true);
        else expect(judge(constraint, text), text).not.toBe('refused');
        context[Symbol.dispose]();
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});
