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

  it('stops at a stop string that spans tokens, leaving it out, and holds the tokens generated', async () => {
    const library = await load();
    expect(tokenizer.encode(' beta gamma').length).toBe(2);
    const context = asked(library, 'alpha beta gamma delta');
    const completion = library.generation.complete(context, greedy, {
      ...untilEnd(),
      stopStrings: ['a gam'],
    });
    expect(completion.text).toBe('alpha bet');
    expect(completion.finish).toBe('stop-string');
    expect(tokenizer.decode([...completion.tokens])).toBe('alpha beta gamma');
    expect(context.getText().endsWith('<|im_start|>assistant\nalpha beta gamma')).toBe(true);
  });

  it('refuses empty stop strings and counts that are not u32, naming the call', async () => {
    const library = await load();
    const context = asked(library, 'hi');
    expect(() =>
      library.generation.complete(context, greedy, { ...untilEnd(), stopStrings: ['.', ''] }),
    ).toThrow('inferlib:context/generation.generator: stop-strings[1] is empty, so it would stop at once');
    expect(() => new library.generation.Generator(context, greedy, untilEnd(-1))).toThrow(
      'inferlib:context/generation.generator: max-tokens -1 is not a count (a u32)',
    );
    expect(() => library.generation.predict(context, -1, undefined)).toThrow(
      'inferlib:context/generation.predict: temperature -1 is not ≥ 0',
    );
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
              const completion = library.generation.complete(context, greedy, untilEnd(Number(turn.content)));
              messages.push({ role: 'assistant', content: completion.text });
              openTurn = tokenizer.decode([...completion.tokens]);
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
