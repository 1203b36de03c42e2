/** `inferlib:context/generation`: step-wise generation, stop strings, forks and distributions. */
import type {
  Completion,
  Distribution,
  FinishReason,
  Step,
  StopConditions,
} from 'inferlib:context/generation';
import type { SamplerConfig } from 'inferlib:context/inference';
import { checkLive, refuseAfterDrop } from '@inferlib/support';
import { checkDistributionRequest, checkSampler, errAsText, messageOf } from './checks.ts';
import { type Context, checkStopConfig } from './context.ts';
import { TextStream } from './text-stream.ts';

const iface = 'inferlib:context/generation';

export function checkStopConditions(call: string, stop: StopConditions): void {
  checkStopConfig(call, stop);
  stop.stopStrings.forEach((text, index) => {
    if (text === '') throw new Error(`${call}: stop-strings[${index}] is empty, so it would stop at once`);
  });
}

/** Generation from a context, one token per step; errors name `call` (the generator's, or `complete`'s). */
export class Generation {
  readonly #context: Context;
  readonly #sampler: SamplerConfig;
  readonly #maxTokens: number;
  readonly #text: TextStream;

  constructor(call: string, context: Context, sampler: SamplerConfig, stop: StopConditions) {
    checkLive(context, call, 'context');
    checkSampler(call, sampler);
    checkStopConditions(call, stop);
    this.#context = context;
    this.#sampler = sampler;
    this.#maxTokens = stop.maxTokens;
    this.#text = new TextStream((tokens) => context.detokenize(tokens), stop);
  }

  /** The next step; `drafts` (the caller's) are verified by its pass instead of the context's drafter's. */
  next(call: string, drafts?: readonly number[]): Step | undefined {
    checkLive(this.#context, call, 'context it generates from');
    if (this.#text.finish !== undefined || this.#maxTokens === 0) return undefined;
    const taken = this.#text.tokens.length;
    const token = this.#context.nextToken(call, this.#sampler, this.#maxTokens - taken, drafts);
    const text = this.#text.push(token);
    // Tokens a speculative pass generated beyond a stop are not the context's.
    if (this.#text.finish !== undefined) this.#context.settle();
    if (this.#text.finish === 'stop-string') {
      // The context holds what the answer shows: the stop string's tokens are taken back.
      const { kept, rest } = this.#text.answerTokens();
      this.#context.replaceGenerated(this.#text.tokens.length - kept, rest);
    }
    return { token, text };
  }

  finish(): FinishReason | undefined {
    return this.#maxTokens === 0 ? 'max-tokens' : this.#text.finish;
  }
}

/** A generation, or the error its arguments made: a generator resource's constructor cannot fail. */
export function startGeneration(
  call: string,
  context: Context,
  sampler: SamplerConfig,
  stop: StopConditions,
): Generation | string {
  try {
    return new Generation(call, context, sampler, stop);
  } catch (error) {
    return messageOf(error);
  }
}

export class Generator {
  /** The generation, or the error its arguments made, which is the `err` of the first `next`. */
  readonly #generation: Generation | string;

  constructor(context: Context, sampler: SamplerConfig, stop: StopConditions) {
    this.#generation = startGeneration(`${iface}.generator`, context, sampler, stop);
  }

  next(): Step | undefined {
    const generation = this.#generation;
    if (typeof generation === 'string') throw generation;
    return errAsText(() => generation.next(`${iface}.generator.next`));
  }

  finish(): FinishReason | undefined {
    return typeof this.#generation === 'string' ? undefined : this.#generation.finish();
  }

  [Symbol.dispose](): void {
    // Nothing held beyond the context, which stays its user's.
  }
}

refuseAfterDrop(Generator, `${iface}.generator`);

/** Generates until a stop condition holds; errors name `call`. */
export function generateCompletion(
  call: string,
  context: Context,
  sampler: SamplerConfig,
  stop: StopConditions,
): Completion {
  const generation = new Generation(call, context, sampler, stop);
  let text = '';
  const tokens: number[] = [];
  for (let step = generation.next(call); step !== undefined; step = generation.next(call)) {
    text += step.text;
    tokens.push(step.token);
  }
  return { text, tokens: Uint32Array.from(tokens), finish: generation.finish() ?? 'max-tokens' };
}

export function complete(context: Context, sampler: SamplerConfig, stop: StopConditions): Completion {
  return errAsText(() => generateCompletion(`${iface}.complete`, context, sampler, stop));
}

/** A fork runs the pending tokens first, so that it shares what was filled (see `Context.fork`). */
export function fork(context: Context): Context {
  checkLive(context, `${iface}.fork`, 'context');
  return context.fork();
}

export function predict(context: Context, temperature: number, topK: number | undefined): Distribution {
  const call = `${iface}.predict`;
  return errAsText(() => {
    checkLive(context, call, 'context');
    checkDistributionRequest(call, temperature, topK);
    return context.predict(call, temperature, topK);
  });
}

export function fillTokens(context: Context, tokens: Uint32Array): void {
  checkLive(context, `${iface}.fill-tokens`, 'context');
  context.fillTokens(tokens);
}
