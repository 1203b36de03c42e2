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
import { checkCount, checkSampler } from './checks.ts';
import { type Context, checkStopConfig } from './context.ts';
import { TextStream } from './text-stream.ts';

const iface = 'inferlib:context/generation';

function checkStopConditions(call: string, stop: StopConditions): void {
  checkStopConfig(call, stop);
  stop.stopStrings.forEach((text, index) => {
    if (text === '') throw new Error(`${call}: stop-strings[${index}] is empty, so it would stop at once`);
  });
}

export class Generator {
  readonly #context: Context;
  readonly #sampler: SamplerConfig;
  readonly #maxTokens: number;
  readonly #text: TextStream;

  constructor(context: Context, sampler: SamplerConfig, stop: StopConditions) {
    const call = `${iface}.generator`;
    checkLive(context, call, 'context');
    checkSampler(call, sampler);
    checkStopConditions(call, stop);
    this.#context = context;
    this.#sampler = sampler;
    this.#maxTokens = stop.maxTokens;
    this.#text = new TextStream((tokens) => context.detokenize(tokens), stop);
  }

  next(): Step | undefined {
    const call = `${iface}.generator.next`;
    checkLive(this.#context, call, 'context it generates from');
    if (this.#text.finish !== undefined || this.#maxTokens === 0) return undefined;
    const taken = this.#text.tokens.length;
    const token = this.#context.nextToken(call, this.#sampler, this.#maxTokens - taken);
    const text = this.#text.push(token);
    // Tokens a speculative pass generated beyond a stop are not the context's.
    if (this.#text.finish !== undefined) this.#context.settle();
    return { token, text };
  }

  finish(): FinishReason | undefined {
    return this.#maxTokens === 0 ? 'max-tokens' : this.#text.finish;
  }

  [Symbol.dispose](): void {
    // Nothing held beyond the context, which stays its user's.
  }
}

refuseAfterDrop(Generator, `${iface}.generator`);

export function complete(context: Context, sampler: SamplerConfig, stop: StopConditions): Completion {
  checkLive(context, `${iface}.complete`, 'context');
  const generator = new Generator(context, sampler, stop);
  let text = '';
  const tokens: number[] = [];
  for (let step = generator.next(); step !== undefined; step = generator.next()) {
    text += step.text;
    tokens.push(step.token);
  }
  return { text, tokens: Uint32Array.from(tokens), finish: generator.finish() ?? 'max-tokens' };
}

export function fork(context: Context): Context {
  checkLive(context, `${iface}.fork`, 'context');
  return context.fork();
}

export function predict(context: Context, temperature: number, topK: number | undefined): Distribution {
  const call = `${iface}.predict`;
  checkLive(context, call, 'context');
  if (!(temperature >= 0)) throw new Error(`${call}: temperature ${temperature} is not ≥ 0`);
  if (topK !== undefined) checkCount(call, 'top-k', topK);
  return context.predict(call, temperature, topK);
}

export function fillTokens(context: Context, tokens: Uint32Array): void {
  checkLive(context, `${iface}.fill-tokens`, 'context');
  context.fillTokens(tokens);
}
