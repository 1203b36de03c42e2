/**
 * Model-based test of `inferlib:context/inference`, on the library's sources in Node: random sequences of
 * commands over several live contexts (create, fill, fill-user, fill-system, fill-assistant, flush,
 * generate greedy and sampled, drop) against a pure model of each context (its processed and pending
 * tokens, and one-shot reference predictions). After every command each live context's tokens and text,
 * and the host's count of KV pages, must be the model's; once every context is dropped, no page is held.
 * The model keeps one token list per context, so that fork can be modelled as a copy of it once it exists.
 */
import type * as Inference from 'inferlib:context/inference';
import type * as Models from 'inferlib:model/models';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { centered, combine } from '../../../host-shim/src/hash.ts';
import {
  builtinModel,
  type Cutoff,
  createHost,
  type Instance,
  type LanguageModel,
  qwen3Tokenizer,
  SeededRandom,
  sampleToken,
} from '../../../host-shim/src/index.ts';
import { bindHost } from '../../../scripts/lib/linking.ts';

/** Command sequences per run: each loads a fresh copy of the library for a fresh host instance. */
const sequences = Number(process.env.CONTEXT_SEQUENCES ?? 1_000);
const slots = 3;

const tokenizer = qwen3Tokenizer();
const [endOfTurn = 0] = tokenizer.encode('<|im_end|>');
const [endOfText = 0] = tokenizer.encode('<|endoftext|>');

/**
 * A language model over the whole vocabulary whose logits are zero but at a few candidates, weighted by a
 * hash of every visible (token, position): as sensitive to paging and masking as the reference model, but
 * without its noise over 151,669 entries, which would make 1,000 sequences take minutes.
 */
const candidates = [endOfTurn, ...tokenizer.encode(' Echo me again. 東京')];
const sparseModel: LanguageModel = {
  vocabSize: tokenizer.vocabSize,
  logits({ visible }) {
    const digest = visible.reduce((hash, { token, position }) => combine(combine(hash, token), position), 0);
    const logits = new Float32Array(tokenizer.vocabSize);
    candidates.forEach((token, index) => {
      logits[token] = 4 * centered(combine(digest, index));
    });
    return logits;
  },
};

/** The built-in template's rendering of one message (plain ChatML), the user's with the assistant header. */
const chatml = (role: string, content: string) =>
  `<|im_start|>${role}\n${content}<|im_end|>\n${role === 'user' ? '<|im_start|>assistant\n' : ''}`;

/** One context as the model sees it. */
interface ModelContext {
  readonly processed: number[];
  pending: number[];
  /** Tokens generated since the last fill: a turn the next message fill closes. */
  turn: number[];
}

/** ChatML closes an assistant message with `<|im_end|>\n`: what a generated turn still lacks of it. */
function turnClosing(generated: string): string {
  const closing = '<|im_end|>\n';
  for (let overlap = Math.min(closing.length, generated.length); overlap > 0; overlap--) {
    if (generated.endsWith(closing.slice(0, overlap))) return closing.slice(overlap);
  }
  return closing;
}

interface Model {
  readonly contexts: (ModelContext | undefined)[];
  readonly pageSize: number;
  readonly oracle: LanguageModel;
  /** The instance's sampling generator, mirrored: every sampled token draws from both alike. */
  readonly random: SeededRandom;
}

interface Real {
  readonly instance: Instance;
  readonly library: { Context: typeof Inference.Context; model: Models.Model };
  readonly contexts: (Inference.Context | undefined)[];
}

/** The reference prediction after `tokens`, computed in one shot (no pages). */
function predict(model: Model, tokens: readonly number[], sampler: Inference.SamplerConfig): number {
  const entries = tokens.map((token, position) => ({ token, position }));
  const input = entries.at(-1);
  if (input === undefined) throw new Error('nothing to predict from');
  const logits = model.oracle.logits({ input, visible: entries, adapter: undefined });
  const [temperature, cutoff]: [number, Cutoff] =
    sampler.tag === 'greedy'
      ? [0, { kind: 'none' }]
      : sampler.tag === 'multinomial'
        ? [sampler.val, { kind: 'none' }]
        : sampler.tag === 'top-k'
          ? [sampler.val[0], { kind: 'top-k', k: sampler.val[1] }]
          : [Number.NaN, { kind: 'none' }];
  return sampleToken(logits, temperature, cutoff, model.random);
}

/** Every live context and the host's pages agree with the model. */
function expectAgreement(model: Model, real: Real, command: string): void {
  let pages = 0;
  model.contexts.forEach((expected, slot) => {
    const context = real.contexts[slot];
    expect(context === undefined, `${command}: slot ${slot} live`).toBe(expected === undefined);
    if (expected === undefined || context === undefined) return;
    const tokens = [...context.getTokenIds()];
    if (tokens.join() !== expected.processed.join())
      expect(tokens, `${command}: tokens of slot ${slot}`).toEqual(expected.processed);
    expect(context.getText(), `${command}: text of slot ${slot}`).toBe(tokenizer.decode(expected.processed));
    pages += Math.ceil(expected.processed.length / model.pageSize);
  });
  expect(real.instance.stats().kvPages, `${command}: KV pages held`).toBe(pages);
}

type Command = fc.Command<Model, Real>;

/** A command on the context in one slot, checked against the model after it runs. */
abstract class SlotCommand implements Command {
  constructor(readonly slot: number) {}
  check(model: Readonly<Model>): boolean {
    return model.contexts[this.slot] !== undefined;
  }
  run(model: Model, real: Real): void {
    const expected = model.contexts[this.slot];
    const context = real.contexts[this.slot];
    if (expected === undefined || context === undefined) throw new Error(`slot ${this.slot} is empty`);
    this.apply(expected, context, model);
    expectAgreement(model, real, this.toString());
  }
  abstract apply(expected: ModelContext, context: Inference.Context, model: Model): void;
  abstract toString(): string;
}

class Create implements Command {
  constructor(readonly slot: number) {}
  check(model: Readonly<Model>): boolean {
    return model.contexts[this.slot] === undefined;
  }
  run(model: Model, real: Real): void {
    model.contexts[this.slot] = { processed: [], pending: [], turn: [] };
    real.contexts[this.slot] = new real.library.Context(real.library.model);
    expectAgreement(model, real, this.toString());
  }
  toString = () => `create(${this.slot})`;
}

class Drop extends SlotCommand {
  override run(model: Model, real: Real): void {
    real.contexts[this.slot]?.[Symbol.dispose]();
    real.contexts[this.slot] = undefined;
    model.contexts[this.slot] = undefined;
    expectAgreement(model, real, this.toString());
  }
  apply(): void {}
  toString = () => `drop(${this.slot})`;
}

type FillKind = 'fill' | 'fillUser' | 'fillSystem' | 'fillAssistant';
const roleOf: Record<Exclude<FillKind, 'fill'>, string> = {
  fillUser: 'user',
  fillSystem: 'system',
  fillAssistant: 'assistant',
};

class Fill extends SlotCommand {
  constructor(
    slot: number,
    readonly kind: FillKind,
    readonly text: string,
  ) {
    super(slot);
  }
  apply(expected: ModelContext, context: Inference.Context): void {
    context[this.kind](this.text);
    if (this.kind === 'fill') {
      expected.pending.push(...tokenizer.encode(this.text));
      expected.turn = [];
      return;
    }
    // The turn generated since the last fill is closed first.
    const closing = expected.turn.length === 0 ? '' : turnClosing(tokenizer.decode(expected.turn));
    expected.turn = [];
    // A message's content stays text: each `<|im_end|>` in it is tokenized cut after its `<`.
    const [before, after] = chatml(roleOf[this.kind], '\u0000').split('\u0000');
    const pieces = this.text.split('<|im_end|>').join('<\u0000|im_end|>').split('\u0000');
    pieces[0] = `${closing}${before}${pieces[0]}`;
    pieces[pieces.length - 1] = `${pieces.at(-1)}${after}`;
    for (const piece of pieces) expected.pending.push(...tokenizer.encode(piece));
  }
  toString = () => `${this.kind}(${this.slot}, ${JSON.stringify(this.text)})`;
}

class Flush extends SlotCommand {
  apply(expected: ModelContext, context: Inference.Context): void {
    context.flush();
    expected.processed.push(...expected.pending);
    expected.pending = [];
  }
  toString = () => `flush(${this.slot})`;
}

class Generate extends SlotCommand {
  constructor(
    slot: number,
    readonly sampler: Inference.SamplerConfig,
    readonly maxTokens: number,
    readonly eosSequences: readonly number[][],
  ) {
    super(slot);
  }
  override check(model: Readonly<Model>): boolean {
    // Generating on an empty context is an error, tested on its own elsewhere.
    const expected = model.contexts[this.slot];
    return expected !== undefined && expected.processed.length + expected.pending.length > 0;
  }
  apply(expected: ModelContext, context: Inference.Context, model: Model): void {
    const text = context.generate(this.sampler, {
      maxTokens: this.maxTokens,
      eosSequences: this.eosSequences.map((sequence) => Uint32Array.from(sequence)),
    });
    const generated: number[] = [];
    if (this.maxTokens > 0 && expected.pending.length === 0)
      expected.pending = [expected.processed.pop() ?? 0];
    while (generated.length < this.maxTokens) {
      const token = predict(model, [...expected.processed, ...expected.pending], this.sampler);
      expected.processed.push(...expected.pending);
      expected.pending = [token];
      generated.push(token);
      expected.turn.push(token);
      if (this.eosSequences.some((sequence) => sequence.join() === generated.slice(-sequence.length).join()))
        break;
    }
    expect(text, this.toString()).toBe(tokenizer.decode(generated));
  }
  toString = () =>
    `generate(${this.slot}, ${JSON.stringify(this.sampler)}, ${this.maxTokens}, ${JSON.stringify(this.eosSequences)})`;
}

const slot = fc.nat({ max: slots - 1 });
const text = fc
  .array(fc.constantFrom('Echo', ' me', ' again', '.', '\n', ' é', '東京', '<|im_end|>', ''), {
    maxLength: 4,
  })
  .map((pieces) => pieces.join(''));
const sampler: fc.Arbitrary<Inference.SamplerConfig> = fc.oneof(
  fc.constant({ tag: 'greedy' as const }),
  fc.constantFrom(0.7, 1, 1.5).map((temperature) => ({ tag: 'multinomial' as const, val: temperature })),
  fc
    .tuple(fc.constantFrom(0.8, 1.2), fc.integer({ min: 1, max: 8 }))
    .map(([temperature, k]) => ({ tag: 'top-k' as const, val: [temperature, k] as [number, number] })),
);
const eosSequences: fc.Arbitrary<number[][]> = fc.oneof(
  fc.constant<number[][]>([]),
  fc.constant<number[][]>([[endOfTurn], [endOfText]]),
  fc.array(
    fc.array(fc.constantFrom(endOfTurn, ...tokenizer.encode(' me.')), { minLength: 1, maxLength: 2 }),
    {
      minLength: 1,
      maxLength: 2,
    },
  ),
);

const fill = fc
  .tuple(slot, fc.constantFrom<FillKind>('fill', 'fillUser', 'fillSystem', 'fillAssistant'), text)
  .map(([at, kind, content]) => new Fill(at, kind, content));
const generate = fc
  .tuple(slot, sampler, fc.nat({ max: 4 }), eosSequences)
  .map(([at, chosen, maxTokens, eos]) => new Generate(at, chosen, maxTokens, eos));
// Fills and generates are listed twice: the commands that do the most are drawn most often.
const commands = fc.commands(
  [
    slot.map((at) => new Create(at)),
    slot.map((at) => new Drop(at)),
    fill,
    fill,
    slot.map((at) => new Flush(at)),
    generate,
    generate,
  ],
  { maxCommands: 16, size: '+1' },
);

/** A fresh host instance and a copy of the library's sources bound to it. */
async function start(pageSize: number, seed: number): Promise<{ model: Model; real: Real }> {
  const host = createHost({
    models: [{ ...builtinModel, kvPageSize: pageSize, languageModel: () => sparseModel }],
    seed,
  });
  const instance = host.createInstance();
  vi.resetModules();
  bindHost(instance.imports);
  const { Model } = await import('inferlib:model/models');
  const { Context } = await import('inferlib:context/inference');
  const model = Model.getAuto();
  // Every slot starts with a live context; a dropped one may be created again.
  return {
    model: {
      contexts: Array.from({ length: slots }, () => ({ processed: [], pending: [], turn: [] })),
      pageSize,
      oracle: sparseModel,
      random: new SeededRandom(seed),
    },
    real: {
      instance,
      library: { Context, model },
      contexts: Array.from({ length: slots }, () => new Context(model)),
    },
  };
}

describe('contexts against a pure model, on the library sources in Node', () => {
  beforeAll(() => {
    // Loading the tokenizer's vocabulary once, outside the timed property.
    tokenizer.encode('warm');
  });

  it(`agree on tokens, text and KV pages after every command of ${sequences} random sequences`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.nat(),
        commands,
        async (pageSize, seed, sequence) => {
          const { model, real } = await start(pageSize, seed);
          fc.modelRun(() => ({ model, real }), sequence);
          for (const context of real.contexts) context?.[Symbol.dispose]();
          expect(real.instance.stats().kvPages, 'KV pages held once every context is dropped').toBe(0);
        },
      ),
      { numRuns: sequences },
    );
  }, 600_000);
});
