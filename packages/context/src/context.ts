import { ChatFormatter } from 'inferlib:chat/formatter';
import type { SamplerConfig, StopConfig } from 'inferlib:context/inference';
import type { Model, Tokenizer } from 'inferlib:model/models';
import { type ForwardPass, Queue } from 'inferlib:queue/queues';
import { pushAll, refuseAfterDrop } from '@inferlib/support';
import { tokenizeMessage } from './literal-content.ts';
import { turnClosing } from './turn-closing.ts';

const iface = 'inferlib:context/inference';

/** Asks `pass` for one token at input `index`, sampled as `sampler` says. */
function requestToken(pass: ForwardPass, index: number, sampler: SamplerConfig): void {
  const at = Uint32Array.of(index);
  switch (sampler.tag) {
    case 'greedy':
      pass.outputTokens(at, 0);
      break;
    case 'multinomial':
      pass.outputTokens(at, sampler.val);
      break;
    case 'top-p':
      pass.outputTokensTopP(at, ...sampler.val);
      break;
    case 'top-k':
      pass.outputTokensTopK(at, ...sampler.val);
      break;
    case 'min-p':
      pass.outputTokensMinP(at, ...sampler.val);
      break;
    case 'top-k-top-p':
      pass.outputTokensTopKTopP(at, ...sampler.val);
      break;
  }
}

const generateCall = `${iface}.context.generate`;

/**
 * A count as a caller meant it. In one engine a negative or fractional number arrives as it is; through the
 * WIT a negative one arrives wrapped around as 2^32 − n (the caller's lowering does not check), so 2^31 or
 * more, which no generation could mean, is refused too.
 */
function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${generateCall}: ${name} ${value} is not a count (a u32)`);
  }
  if (value >= 2 ** 31) {
    throw new Error(
      `${generateCall}: ${name} ${value} is 2^31 or more, which no generation means; a negative number wrapped around to a u32?`,
    );
  }
}

function checkSampler(sampler: SamplerConfig): void {
  if (sampler.tag === 'top-k' || sampler.tag === 'top-k-top-p') checkCount('top-k', sampler.val[1]);
}

/**
 * Refuses stop sequences that could never match because they are empty. A token outside the vocabulary is
 * not checked: only `get-vocabs` could tell, which costs seconds through a component boundary.
 */
function checkStopConfig({ maxTokens, eosSequences }: StopConfig): void {
  checkCount('max-tokens', maxTokens);
  eosSequences.forEach((sequence, index) => {
    if (sequence.length === 0)
      throw new Error(`${generateCall}: eos-sequences[${index}] is empty, so it would never stop`);
  });
}

/** Whether `tokens` end with `suffix` (never empty: `checkStopConfig` refuses that). */
const endsWith = (tokens: readonly number[], suffix: Uint32Array): boolean =>
  suffix.length <= tokens.length &&
  suffix.every((token, index) => tokens[tokens.length - suffix.length + index] === token);

/**
 * A conversation on one model. Text is tokenized into *pending* tokens; a forward pass moves them into the
 * KV cache (*processed*), which lives in pages of the model's page size, grown and shrunk as it changes.
 */
export class Context {
  readonly #queue: Queue;
  readonly #tokenizer: Tokenizer;
  readonly #formatter: ChatFormatter;
  readonly #pageSize: number;
  readonly #modelName: string;
  readonly #pages: number[] = [];
  /** `#pages` as the host takes it, made again only when the pages change. */
  #pageList = new Uint32Array(0);
  readonly #processed: number[] = [];
  #pending: number[] = [];
  #filled = false;
  /** The tokens generated since the last fill: the assistant's turn, which the next message fill closes. */
  #generatedTurn: number[] = [];

  constructor(model: Model) {
    let formatter: ChatFormatter;
    try {
      formatter = new ChatFormatter(model.getPromptTemplate());
    } catch (error) {
      throw new Error(
        `${iface}.context: the chat template of model ${model.getName()} does not compile: ${String(error)}`,
      );
    }
    this.#formatter = formatter;
    this.#modelName = model.getName();
    this.#queue = Queue.fromModelName(this.#modelName);
    this.#tokenizer = model.getTokenizer();
    this.#pageSize = model.getKvPageSize();
  }

  /** Text as it is, control tokens included (`<|im_end|>` becomes that token). */
  fill(text: string): void {
    this.#appendPending(this.#tokenizer.tokenize(text));
  }

  /** The message fills keep their content literal: see `literal-content.ts`. */
  fillSystem(text: string): void {
    this.#fillMessage('fill-system', text, (formatter, content) => formatter.addSystem(content), false);
  }

  fillUser(text: string): void {
    this.#fillMessage('fill-user', text, (formatter, content) => formatter.addUser(content), true);
  }

  fillAssistant(text: string): void {
    this.#fillMessage('fill-assistant', text, (formatter, content) => formatter.addAssistant(content), false);
  }

  /** Runs every pending token through one forward pass, asking for no output. */
  flush(): void {
    if (this.#pending.length === 0) return;
    this.#run(this.#pending, () => {});
    this.#pending = [];
  }

  generate(sampler: SamplerConfig, stopConfig: StopConfig): string {
    checkSampler(sampler);
    checkStopConfig(stopConfig);
    const generated: number[] = [];
    if (stopConfig.maxTokens === 0) return '';
    if (this.#pending.length === 0) {
      // Nothing to run: recompute the last processed token (same token, same slot) to get its prediction.
      const last = this.#processed.pop();
      if (last === undefined)
        throw new Error(`${iface}.context.generate: the context is empty; fill it first`);
      this.#pending = [last];
      this.#fitPages(this.#processed.length);
    }
    while (generated.length < stopConfig.maxTokens) {
      const result = this.#run(this.#pending, (pass, last) => requestToken(pass, last, sampler));
      const token = result.tokens?.[0];
      if (token === undefined)
        throw new Error(`${iface}.context.generate: the forward pass returned no token`);
      this.#pending = [token];
      generated.push(token);
      this.#generatedTurn.push(token);
      if (stopConfig.eosSequences.some((sequence) => endsWith(generated, sequence))) break;
    }
    return this.#tokenizer.detokenize(Uint32Array.from(generated));
  }

  getText(): string {
    return this.#tokenizer.detokenize(Uint32Array.from(this.#processed));
  }

  getTokenIds(): Uint32Array {
    return Uint32Array.from(this.#processed);
  }

  [Symbol.dispose](): void {
    this.#fitPages(0);
    this.#formatter[Symbol.dispose]();
    this.#tokenizer[Symbol.dispose]();
    this.#queue[Symbol.dispose]();
  }

  /**
   * Fills one message rendered alone (`begin_of_sequence` only while nothing has been filled yet), after
   * the closing of the turn generated since the last fill, if any.
   */
  #fillMessage(
    call: string,
    content: string,
    add: (formatter: ChatFormatter, content: string) => void,
    generationPrompt: boolean,
  ): void {
    const turn = this.#generatedTurn;
    const closing =
      turn.length === 0
        ? ''
        : turnClosing(this.#modelName, this.#tokenizer.detokenize(Uint32Array.from(turn)), (text) =>
            this.#render((formatter, message) => formatter.addAssistant(message), text, false),
          );
    const render = (text: string): string => closing + this.#render(add, text, generationPrompt);
    const model = { name: this.#modelName, tokenizer: this.#tokenizer };
    try {
      this.#appendPending(tokenizeMessage(render, content, model));
    } catch (error) {
      throw new Error(`${iface}.context.${call}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #render(
    add: (formatter: ChatFormatter, content: string) => void,
    content: string,
    prompt: boolean,
  ): string {
    add(this.#formatter, content);
    try {
      return this.#formatter.render(prompt, !this.#filled);
    } finally {
      this.#formatter.clear();
    }
  }

  #appendPending(tokens: ArrayLike<number>): void {
    pushAll(this.#pending, tokens);
    this.#filled = true;
    this.#generatedTurn = [];
  }

  /** Holds exactly the pages `length` tokens need. */
  #fitPages(length: number): void {
    const needed = Math.ceil(length / this.#pageSize);
    if (needed > this.#pages.length) {
      pushAll(this.#pages, this.#queue.allocateKvPages(needed - this.#pages.length));
    } else if (needed < this.#pages.length) {
      this.#queue.deallocateKvPages(Uint32Array.from(this.#pages.splice(needed)));
    } else {
      return;
    }
    this.#pageList = Uint32Array.from(this.#pages);
  }

  /** One forward pass over `tokens`, after the processed ones, with a causal mask per input. */
  #run(tokens: readonly number[], request: (pass: ForwardPass, lastIndex: number) => void) {
    const start = this.#processed.length;
    const length = start + tokens.length;
    this.#fitPages(length);
    const pass = this.#queue.createForwardPass();
    pass.kvCache(this.#pageList, length - (this.#pages.length - 1) * this.#pageSize);
    pass.inputTokens(
      Uint32Array.from(tokens),
      Uint32Array.from(tokens, (_, index) => start + index),
    );
    // Input i, at slot start + i, attends to every slot up to its own: one run of start + i + 1 falses.
    pass.attentionMask(Array.from(tokens, (_, index) => Uint32Array.of(start + index + 1)));
    request(pass, tokens.length - 1);
    const result = pass.execute();
    pass[Symbol.dispose]();
    pushAll(this.#processed, tokens);
    return result;
  }
}

refuseAfterDrop(Context, `${iface}.context`);
