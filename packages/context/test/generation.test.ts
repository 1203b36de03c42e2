/**
 * `inferlib:context/generation` on the library's sources in Node, on the host-shim's reference model (it
 * echoes the user's message, then ends the turn): complete and the generator against generate, stop strings
 * across tokens, forks against fresh contexts and their pages, predict and fill-tokens, and multi-turn token
 * equality with the whole conversation's rendering under two templates.
 */
import type * as Generation from 'inferlib:context/generation';
import type * as Inference from 'inferlib:context/inference';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinModel, qwen3Tokenizer } from '../../../host-shim/src/index.ts';
import { loadConformance } from '../../chat/test/conformance.ts';
import type { Message } from '../src/conversation.ts';
import { type BoundLibrary, loadBoundLibrary as load, renderWith } from './bound-library.ts';

const tokenizer = qwen3Tokenizer();
const [endOfTurn = 0] = tokenizer.encode('<|im_end|>');
const greedy = { tag: 'greedy' } as const;
const untilEnd = (maxTokens = 48) => ({
  maxTokens,
  eosSequences: [Uint32Array.of(endOfTurn)],
  stopStrings: [] as string[],
});

const chatml = (role: string, content: string) => `<|im_start|>${role}\n${content}<|im_end|>\n`;

/** What `call` threw (it must throw). */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('it did not throw');
}

function asked(library: BoundLibrary, prompt: string): Inference.Context {
  const context = new library.Context(library.model);
  context.fillUser(prompt);
  return context;
}

describe('generation', () => {
  it('complete returns what generate does, without the end of turn; the generator steps join to it', async () => {
    const library = await load();
    const prompt = 'Echo me: one two three, 東京.';
    const generated = asked(library, prompt).generate(greedy, untilEnd());
    expect(generated.endsWith('<|im_end|>')).toBe(true);
    const completion = library.generation.complete(asked(library, prompt), greedy, untilEnd());
    expect(completion).toEqual({
      text: generated.slice(0, -'<|im_end|>'.length),
      tokens: Uint32Array.from(tokenizer.encode(generated)),
      finish: 'eos-sequence',
    });
    const generator = new library.generation.Generator(asked(library, prompt), greedy, untilEnd());
    const steps: Generation.Step[] = [];
    for (let step = generator.next(); step !== undefined; step = generator.next()) steps.push(step);
    expect(steps.map((step) => step.text).join('')).toBe(completion.text);
    expect(steps.map((step) => step.token)).toEqual([...completion.tokens]);
    expect(generator.finish()).toBe('eos-sequence');
    expect(generator.next()).toBeUndefined();
  });

  it('stops at a stop string that spans tokens, leaving it out of the answer and of the context', async () => {
    const library = await load({ ...builtinModel, kvPageSize: 3 });
    expect(tokenizer.encode(' beta gamma').length).toBe(2);
    const context = asked(library, 'alpha beta gamma delta');
    const completion = library.generation.complete(context, greedy, {
      ...untilEnd(),
      stopStrings: ['a gam'],
    });
    expect(completion.text).toBe('alpha bet');
    expect(completion.finish).toBe('stop-string');
    expect(tokenizer.decode([...completion.tokens])).toBe('alpha beta gamma');
    // The context holds what the answer shows; the next message closes the turn as the template does.
    expect(context.getText().endsWith('<|im_start|>assistant\nalpha bet')).toBe(true);
    context.fillUser('Again: one two.');
    context.flush();
    const conversation = `${chatml('user', 'alpha beta gamma delta')}${chatml('assistant', 'alpha bet')}${chatml('user', 'Again: one two.')}<|im_start|>assistant\n`;
    expect(context.getText()).toBe(conversation);
    expect([...context.getTokenIds()]).toEqual(tokenizer.encode(conversation));
    // The slots given back are written again: the next answer is what a fresh context of those tokens gives.
    const fresh = new library.Context(library.model);
    library.generation.fillTokens(fresh, context.getTokenIds());
    expect(context.generate(greedy, untilEnd())).toBe(fresh.generate(greedy, untilEnd()));
    expect(library.instance.stats().kvPages).toBe(2 * Math.ceil(fresh.getTokenIds().length / 3));
  });

  it('a generator stopped by a stop string takes it back too, whatever the page size', async () => {
    for (const kvPageSize of [1, 2, 16]) {
      const library = await load({ ...builtinModel, kvPageSize });
      const context = asked(library, 'Echo me: one two three.');
      const generator = new library.generation.Generator(context, greedy, {
        ...untilEnd(),
        stopStrings: ['o t'],
      });
      let text = '';
      for (let step = generator.next(); step !== undefined; step = generator.next()) text += step.text;
      expect([text, generator.finish()]).toEqual(['Echo me: one tw', 'stop-string']);
      expect(context.getText().endsWith('<|im_start|>assistant\nEcho me: one tw')).toBe(true);
    }
  });

  it('refuses empty stop strings and counts that are not u32, naming the call, as errs', async () => {
    const library = await load();
    const context = asked(library, 'hi');
    expect(() =>
      library.generation.complete(context, greedy, { ...untilEnd(), stopStrings: ['.', ''] }),
    ).toThrow('inferlib:context/generation.complete: stop-strings[1] is empty, so it would stop at once');
    // The constructor's error is the err of the first next, so that no build traps on it.
    const generator = new library.generation.Generator(context, greedy, untilEnd(-1));
    expect(() => generator.next()).toThrow(
      'inferlib:context/generation.generator: max-tokens -1 is not a count (a u32)',
    );
    expect(() => library.generation.complete(context, greedy, untilEnd(99_999_999_999))).toThrow(
      'inferlib:context/generation.complete: max-tokens 99999999999 is not a count (a u32)',
    );
    // An err is thrown as its text, in one engine as a composed app's bindings give it (its payload).
    expect(thrown(() => library.generation.predict(context, -1, undefined))).toBe(
      'inferlib:context/generation.predict: temperature -1 is not a finite number ≥ 0',
    );
  });

  it('refuses every sampler and predict value out of range before the host sees it, naming call and value', async () => {
    const library = await load();
    const context = asked(library, 'Echo me.');
    const bad: [Inference.SamplerConfig, string][] = [
      [{ tag: 'multinomial', val: -1 }, 'temperature -1 is not a finite number ≥ 0'],
      [{ tag: 'multinomial', val: Number.NaN }, 'temperature NaN is not a finite number ≥ 0'],
      [
        { tag: 'top-p', val: [Number.POSITIVE_INFINITY, 0.9] },
        'temperature Infinity is not a finite number ≥ 0',
      ],
      [{ tag: 'top-p', val: [1, 1.5] }, 'top-p 1.5 is not within (0, 1]'],
      [{ tag: 'top-p', val: [1, 0] }, 'top-p 0 is not within (0, 1]'],
      [{ tag: 'min-p', val: [1, Number.NaN] }, 'min-p NaN is not within [0, 1]'],
      [{ tag: 'top-k', val: [1, 0] }, 'top-k 0 keeps no token: it must be at least 1'],
      [{ tag: 'top-k', val: [1, 2.5] }, 'top-k 2.5 is not a count (a u32)'],
      [{ tag: 'top-k-top-p', val: [1, 5, 2] }, 'top-p 2 is not within (0, 1]'],
    ];
    const passes = library.host.passTimes.length;
    for (const [sampler, problem] of bad) {
      expect(() => context.generate(sampler, { maxTokens: 4, eosSequences: [] })).toThrow(
        new Error(`inferlib:context/inference.context.generate: ${problem}`),
      );
      expect(thrown(() => library.generation.complete(context, sampler, untilEnd()))).toBe(
        `inferlib:context/generation.complete: ${problem}`,
      );
      const generator = new library.generation.Generator(context, sampler, untilEnd());
      expect(thrown(() => generator.next())).toBe(`inferlib:context/generation.generator: ${problem}`);
    }
    for (const [temperature, topK, problem] of [
      [Number.NaN, 4, 'temperature NaN is not a finite number ≥ 0'],
      [1, 0, 'top-k 0 keeps no token: it must be at least 1'],
    ] as const) {
      expect(thrown(() => library.generation.predict(context, temperature, topK))).toBe(
        `inferlib:context/generation.predict: ${problem}`,
      );
    }
    expect(library.host.passTimes.length).toBe(passes);
  });

  it('a generator whose context was dropped says so', async () => {
    const library = await load();
    const context = asked(library, 'Echo me.');
    const generator = new library.generation.Generator(context, greedy, untilEnd());
    expect(generator.next()?.text).toBe('Echo');
    context[Symbol.dispose]();
    expect(() => generator.next()).toThrow(
      'inferlib:context/generation.generator.next: the context it generates from was dropped',
    );
    expect(() => library.generation.fork(context)).toThrow(
      'inferlib:context/generation.fork: the context was dropped',
    );
  });

  it('predict gives the greedy token the highest probability; fill-tokens appends ids', async () => {
    const library = await load();
    const context = asked(library, 'Echo me: seven.');
    const distribution = library.generation.predict(context, 1, 8);
    const best = distribution.ids[distribution.probs.indexOf(Math.max(...distribution.probs))];
    const fresh = asked(library, 'Echo me: seven.');
    expect(fresh.generate(greedy, untilEnd(1))).toBe(tokenizer.decode([best ?? -1]));
    library.generation.fillTokens(context, Uint32Array.of(best ?? 0));
    context.flush();
    expect([...context.getTokenIds()]).toEqual([...fresh.getTokenIds()]);
  });

  it('fork runs the pending tokens first, so that forks share the pages of what was filled', async () => {
    const library = await load({ ...builtinModel, kvPageSize: 16 });
    const prompt = `Echo me: ${'the quick brown fox jumps over the lazy dog, '.repeat(6)}`;
    const fresh = asked(library, prompt);
    const answer = fresh.generate(greedy, untilEnd(1));
    const promptLength = fresh.getTokenIds().length - 1;
    expect(promptLength % 16).not.toBe(0);
    const parent = asked(library, prompt);
    const passes = library.host.passTimes.length;
    const forks = [0, 1, 2, 3].map(() => library.generation.fork(parent));
    const answers = forks.map((fork) => fork.generate(greedy, untilEnd(1)));
    // The prompt once, then each fork's last, partial page (72 + 4 × 8 tokens), not the prompt 4 times (288).
    const inputs = library.host.passTimes.slice(passes).reduce((sum, pass) => sum + pass.inputs, 0);
    expect(inputs).toBe(promptLength + 4 * (promptLength % 16));
    expect(answers).toEqual(Array(4).fill(answer));
  });

  it('forks share the full pages of a prefilled prompt and generate what fresh contexts do', async () => {
    const library = await load({ ...builtinModel, kvPageSize: 4 });
    const prompt = 'Echo me: the quick brown fox jumps over the lazy dog, twice.';
    const parent = asked(library, prompt);
    parent.flush();
    const promptLength = parent.getTokenIds().length;
    const forks = [0, 1, 2].map(() => library.generation.fork(parent));
    const answers = forks.map((fork) => fork.generate(greedy, untilEnd(5)));
    const fresh = asked(library, prompt);
    const answer = fresh.generate(greedy, untilEnd(5));
    fresh[Symbol.dispose]();
    expect(answers).toEqual([answer, answer, answer]);

    for (const fork of forks)
      expect([...fork.getTokenIds()].slice(0, promptLength)).toEqual([...parent.getTokenIds()]);
    // p/4 full pages shared, the parent's partial page, and each fork's tail of (p mod 4) + 5 tokens.
    const full = Math.floor(promptLength / 4);
    const tail = Math.ceil(((promptLength % 4) + 5) / 4);
    const pages = () => library.instance.stats().kvPages;
    expect(pages()).toBe(full + (promptLength % 4 === 0 ? 0 : 1) + 3 * tail);
    expect(pages()).toBeLessThan(3 * Math.ceil((promptLength + 5) / 4));
    // A page is freed when its last holder drops it: the parent first, then the forks of a fork's fork.
    parent[Symbol.dispose]();
    const grandchild = library.generation.fork(forks[0] as Inference.Context);
    for (const fork of forks) fork[Symbol.dispose]();
    const again = asked(library, prompt);
    again.generate(greedy, untilEnd(5));
    expect(grandchild.generate(greedy, untilEnd(2))).toBe(again.generate(greedy, untilEnd(2)));
    again[Symbol.dispose]();
    grandchild[Symbol.dispose]();
    expect(pages()).toBe(0);
  });
});

const qwen25 = loadConformance()?.templates.find((entry) => entry.name === 'Qwen2_5Template')?.template;

describe('multi-turn: the context holds the tokens of the whole conversation as the template renders it', () => {
  const turns = fc.array(
    fc.oneof(
      fc.record({
        role: fc.constant('user' as const),
        content: fc.constantFrom('Echo me: one two.', 'Hi!', '東京?'),
      }),
      fc.record({ role: fc.constant('system' as const), content: fc.constantFrom('You copy.') }),
      fc.record({ role: fc.constant('assistant' as const), content: fc.constantFrom('Sure.', 'one') }),
      fc.record({ role: fc.constant('generate' as const), content: fc.constantFrom(3, 48).map(String) }),
      // Generation up to a stop string: the context holds the answer without it.
      fc.record({ role: fc.constant('generate' as const), content: fc.constantFrom('o', ' t', '京', '!') }),
    ),
    { minLength: 1, maxLength: 6 },
  );

  for (const [name, template] of [
    ['the built-in template', builtinModel.promptTemplate],
    ['Qwen 2.5 (a default system message unless one is given)', qwen25],
  ] as const) {
    it.skipIf(template === undefined)(name, async () => {
      const library = await load({ ...builtinModel, promptTemplate: template ?? '' });
      await fc.assert(
        fc.asyncProperty(turns, async (sequence) => {
          const context = new library.Context(library.model);
          const messages: Message[] = [];
          /** The text of a generated turn nothing followed yet: the template has not closed it. */
          let openTurn: string | undefined;
          for (const turn of sequence) {
            if (turn.role === 'generate') {
              if (messages.at(-1)?.role !== 'user') continue;
              const stop = Number.isInteger(Number(turn.content))
                ? untilEnd(Number(turn.content))
                : { ...untilEnd(), stopStrings: [turn.content] };
              const completion = library.generation.complete(context, greedy, stop);
              messages.push({ role: 'assistant', content: completion.text });
              openTurn =
                completion.finish === 'stop-string'
                  ? completion.text
                  : tokenizer.decode([...completion.tokens]);
              continue;
            }
            if (turn.role === 'system' && messages.length > 0) continue;
            context[
              turn.role === 'user' ? 'fillUser' : turn.role === 'system' ? 'fillSystem' : 'fillAssistant'
            ](turn.content);
            messages.push(turn);
            openTurn = undefined;
          }
          context.flush();
          if (messages.length === 0) return;
          const expected =
            openTurn === undefined
              ? renderWith(template ?? '', messages, messages.at(-1)?.role === 'user', true)
              : renderWith(template ?? '', messages.slice(0, -1), true, true) + openTurn;
          expect(context.getText()).toBe(expected);
          expect([...context.getTokenIds()]).toEqual(tokenizer.encode(expected));
          context[Symbol.dispose]();
        }),
        { numRuns: 40, seed: 3 },
      );
    });
  }
});
