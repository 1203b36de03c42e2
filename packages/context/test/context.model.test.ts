/**
 * Model-based test of `inferlib:context/inference`, on the library's sources in Node: random sequences of
 * commands over several live contexts (create, fill, fill-user, fill-system, fill-assistant, flush,
 * generate greedy and sampled, fork, drop) against a pure model of each context (its processed and pending
 * tokens, its pages, and one-shot reference predictions). After every command each live context's tokens
 * and text, and the host's count of KV pages (a page forks share counted once), must be the model's; once
 * every context is dropped, no page is held.
 */
import type * as Generation from 'inferlib:context/generation';
import type * as Inference from 'inferlib:context/inference';
import type * as Models from 'inferlib:model/models';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { bindHost } from '../../../cli/src/linking.ts';
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

/** The built-in template's rendering of one message (plain ChatML), without the generation prompt. */
const chatml = (role: string, content: string) => `<|im_start|>${role}\n${content}<|im_end|>\n`;
const generationPrompt = tokenizer.encode('<|im_start|>assistant\n');

/** One context as the model sees it. */
interface ModelContext {
  processed: number[];
  pending: number[];
  /** How many of the first pending tokens count as the context's (generated, or processed and taken back). */
  shown: number;
  /** The KV pages, as ids the model makes up: a fork holds the same ids as its parent. */
  pages: number[];
  /** Where the assistant's turn starts, while a user message's generation prompt was the last message. */
  turnStart: number | undefined;
  /** Tokens of the generation prompt, while nothing followed it. */
  promptTokens: number;
  /** Where the last fill ended: tokens generated after it, with no generation prompt, are a turn too. */
  filledUpTo: number;
}

const emptyContext = (): ModelContext => ({
  processed: [],
  pending: [],
  shown: 0,
  pages: [],
  turnStart: undefined,
  promptTokens: 0,
  filledUpTo: 0,
});

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
  nextPage: number;
}

/** Holds exactly the pages `length` tokens need. */
function fitPages(model: Model, context: ModelContext, length: number): void {
  const needed = Math.ceil(length / model.pageSize);
  while (context.pages.length < needed) context.pages.push(model.nextPage++);
  context.pages.length = needed;
}

const holders = (model: Model, page: number): number =>
  model.contexts.filter((context) => context?.pages.includes(page)).length;

/** Keeps `length` processed tokens; a shared page that the next pass would write is computed again. */
function truncate(model: Model, context: ModelContext, length: number): void {
  const page = context.pages[Math.floor(length / model.pageSize)];
  const cut =
    length % model.pageSize !== 0 && page !== undefined && holders(model, page) > 1
      ? Math.floor(length / model.pageSize) * model.pageSize
      : length;
  const recompute = context.processed.slice(cut, length);
  context.processed.length = cut;
  context.pending = [...recompute, ...context.pending];
  context.shown += recompute.length;
  fitPages(model, context, cut);
}

/** A forward pass over every pending token. */
function runPending(model: Model, context: ModelContext): void {
  context.processed.push(...context.pending);
  context.pending = [];
  context.shown = 0;
  fitPages(model, context, context.processed.length);
}

interface Real {
  readonly instance: Instance;
  readonly library: {
    Context: typeof Inference.Context;
    fork: typeof Generation.fork;
    model: Models.Model;
  };
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
  const pages = new Set<number>();
  model.contexts.forEach((expected, slot) => {
    const context = real.contexts[slot];
    expect(context === undefined, `${command}: slot ${slot} live`).toBe(expected === undefined);
    if (expected === undefined || context === undefined) return;
    const shown = [...expected.processed, ...expected.pending.slice(0, expected.shown)];
    const tokens = [...context.getTokenIds()];
    if (tokens.join() !== shown.join()) expect(tokens, `${command}: tokens of slot ${slot}`).toEqual(shown);
    expect(context.getText(), `${command}: text of slot ${slot}`).toBe(tokenizer.decode(shown));
    for (const page of expected.pages) pages.add(page);
  });
  expect(real.instance.stats().kvPages, `${command}: KV pages held`).toBe(pages.size);
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
    model.contexts[this.slot] = emptyContext();
    real.contexts[this.slot] = new real.library.Context(real.library.model);
    expectAgreement(model, real, this.toString());
  }
  toString = () => `create(${this.slot})`;
}

/** A fork of the context in `slot` into the empty slot `into`. */
class Fork implements Command {
  constructor(
    readonly slot: number,
    readonly into: number,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.contexts[this.slot] !== undefined && model.contexts[this.into] === undefined;
  }
  run(model: Model, real: Real): void {
    const parent = model.contexts[this.slot] as ModelContext;
    // A fork runs its parent's pending tokens first, so that it shares them.
    runPending(model, parent);
    const full = Math.floor(parent.processed.length / model.pageSize);
    const shared = full * model.pageSize;
    model.contexts[this.into] = {
      processed: parent.processed.slice(0, shared),
      pending: [...parent.processed.slice(shared), ...parent.pending],
      shown: parent.processed.length - shared + parent.shown,
      pages: parent.pages.slice(0, full),
      turnStart: parent.turnStart,
      promptTokens: parent.promptTokens,
      filledUpTo: parent.filledUpTo,
    };
    real.contexts[this.into] = real.library.fork(real.contexts[this.slot] as Inference.Context);
    expectAgreement(model, real, this.toString());
  }
  toString = () => `fork(${this.slot} -> ${this.into})`;
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
  apply(expected: ModelContext, context: Inference.Context, model: Model): void {
    context[this.kind](this.text);
    const filled = () => {
      expected.filledUpTo = expected.processed.length + expected.pending.length;
    };
    if (this.kind === 'fill') {
      expected.pending.push(...tokenizer.encode(this.text));
      expected.promptTokens = 0;
      filled();
      return;
    }
    const all = [...expected.processed, ...expected.pending];
    const turn = all.slice(expected.turnStart ?? expected.filledUpTo);
    let closing = '';
    if (expected.turnStart !== undefined && turn.length === 0) {
      // Nothing followed the generation prompt: it is taken back, pending tokens first.
      const fromPending = Math.min(expected.promptTokens, expected.pending.length);
      expected.pending.length -= fromPending;
      expected.shown = Math.min(expected.shown, expected.pending.length);
      const fromProcessed = expected.promptTokens - fromPending;
      if (fromProcessed > 0) truncate(model, expected, expected.processed.length - fromProcessed);
    } else if (turn.length > 0) {
      // The assistant's turn: after the generation prompt, or generated since the last fill.
      closing = turnClosing(tokenizer.decode(turn));
    }
    // A message's content stays text: each `<|im_end|>` in it is tokenized cut after its `<`.
    const [before, after] = chatml(roleOf[this.kind], '\u0000').split('\u0000');
    const pieces = this.text.split('<|im_end|>').join('<\u0000|im_end|>').split('\u0000');
    pieces[0] = `${closing}${before}${pieces[0]}`;
    pieces[pieces.length - 1] = `${pieces.at(-1)}${after}`;
    for (const piece of pieces) expected.pending.push(...tokenizer.encode(piece));
    filled();
    if (this.kind === 'fillUser') {
      expected.pending.push(...generationPrompt);
      filled();
      expected.promptTokens = generationPrompt.length;
      expected.turnStart = expected.processed.length + expected.pending.length;
    } else {
      expected.promptTokens = 0;
      expected.turnStart = undefined;
    }
  }
  toString = () => `${this.kind}(${this.slot}, ${JSON.stringify(this.text)})`;
}

class Flush extends SlotCommand {
  apply(expected: ModelContext, context: Inference.Context, model: Model): void {
    context.flush();
    runPending(model, expected);
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
    const last = expected.processed.at(-1);
    if (this.maxTokens > 0 && expected.pending.length === 0 && last !== undefined) {
      truncate(model, expected, expected.processed.length - 1);
      expected.pending.push(last);
      expected.shown += 1;
    }
    while (generated.length < this.maxTokens) {
      const token = predict(model, [...expected.processed, ...expected.pending], this.sampler);
      runPending(model, expected);
      expected.pending = [token];
      expected.shown = 1;
      expected.promptTokens = 0;
      generated.push(token);
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

const fork = fc
  .tuple(slot, slot)
  .filter(([from, into]) => from !== into)
  .map(([from, into]) => new Fork(from, into));
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
    fork,
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
  const { fork } = await import('inferlib:context/generation');
  const model = Model.getAuto();
  // Every slot starts with a live context; a dropped one may be created again.
  return {
    model: {
      contexts: Array.from({ length: slots }, emptyContext),
      pageSize,
      oracle: sparseModel,
      random: new SeededRandom(seed),
      nextPage: 0,
    },
    real: {
      instance,
      library: { Context, fork, model },
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
