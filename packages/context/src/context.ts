import { ChatFormatter } from 'inferlib:chat/formatter';
import { ChatTemplate } from 'inferlib:chat/templates';
import type { SamplerConfig, StopConfig } from 'inferlib:context/inference';
import { Model, type Tokenizer } from 'inferlib:model/models';
import { type Distribution, type ForwardPass, Queue } from 'inferlib:queue/queues';
import { type ProposeDrafts, pushAll, refuseAfterDrop, SeededRandom } from '@inferlib/support';
import { checkCount, checkSampler, iface, messageOf } from './checks.ts';
import { Conversation, type Message, type Role } from './conversation.ts';
import { type TokenizingModel, tokenizeLiteral, tokenizeMessage } from './literal-content.ts';
import { endsWith } from './text-stream.ts';
import { parseTools, type ToolSet, toolsSystemPrompt } from './tool-set.ts';
import { syntaxOf, type ToolCall, type TurnSyntax } from './turn-syntax.ts';
import { type Vocabulary, vocabularyOf } from './vocabulary.ts';

/** Asks `pass` for one token at each of `indices`, sampled as `sampler` says. */
function requestTokens(pass: ForwardPass, indices: Uint32Array, sampler: SamplerConfig): void {
  switch (sampler.tag) {
    case 'greedy':
      pass.outputTokens(indices, 0);
      break;
    case 'multinomial':
      pass.outputTokens(indices, sampler.val);
      break;
    case 'top-p':
      pass.outputTokensTopP(indices, ...sampler.val);
      break;
    case 'top-k':
      pass.outputTokensTopK(indices, ...sampler.val);
      break;
    case 'min-p':
      pass.outputTokensMinP(indices, ...sampler.val);
      break;
    case 'top-k-top-p':
      pass.outputTokensTopKTopP(indices, ...sampler.val);
      break;
  }
}

const generateCall = `${iface}.context.generate`;

/** How many plain-text tokenizations a model's contexts keep. */
const literalTokensKept = 256;

/**
 * Refuses stop sequences that could never match because they are empty. A token outside the vocabulary is
 * not checked: only `get-vocabs` could tell, which costs seconds through a component boundary.
 */
export function checkStopConfig(call: string, { maxTokens, eosSequences }: StopConfig): void {
  checkCount(call, 'max-tokens', maxTokens);
  eosSequences.forEach((sequence, index) => {
    if (sequence.length === 0)
      throw new Error(`${call}: eos-sequences[${index}] is empty, so it would never stop`);
  });
}

/**
 * What a context and its forks share: the model's queue, tokenizer and chat formatter, and the KV pages,
 * each counted by its holders. Freed when the last context holding it is dropped.
 */
class Session {
  readonly queue: Queue;
  readonly tokenizer: Tokenizer;
  readonly formatter: ChatFormatter;
  readonly pageSize: number;
  readonly modelName: string;
  readonly model: TokenizingModel;
  #endOfTurn: readonly number[] | undefined;
  readonly #templateSource: string;
  /** The template for renderings with tools, compiled on first use. */
  #template: ChatTemplate | undefined;
  #turnSyntax: TurnSyntax | undefined;
  #vocabulary: Vocabulary | undefined;
  /** Texts tokenized as plain text lately: the same forced texts come again (a schema used again). */
  readonly #literalTokens = new Map<string, readonly number[]>();
  /** Holders of each page that more than one context holds; a page missing here has one. */
  readonly #sharedPages = new Map<number, number>();
  #contexts = 0;

  constructor(model: Model) {
    this.#templateSource = model.getPromptTemplate();
    try {
      this.formatter = new ChatFormatter(this.#templateSource);
    } catch (error) {
      throw new Error(
        `${iface}.context: the chat template of model ${model.getName()} does not compile: ${String(error)}`,
      );
    }
    this.modelName = model.getName();
    this.queue = Queue.fromModelName(this.modelName);
    this.tokenizer = model.getTokenizer();
    this.pageSize = model.getKvPageSize();
    this.model = { name: this.modelName, tokenizer: this.tokenizer };
  }

  join(): this {
    this.#contexts++;
    return this;
  }

  /** The model's tokens as bytes (fetched once per model). */
  vocabulary(): Vocabulary {
    this.#vocabulary ??= vocabularyOf(this.model);
    return this.#vocabulary;
  }

  tokenizeLiteral(text: string): readonly number[] {
    let tokens = this.#literalTokens.get(text);
    if (tokens === undefined) {
      tokens = tokenizeLiteral(text, this.model);
      if (this.#literalTokens.size >= literalTokensKept) this.#literalTokens.clear();
      this.#literalTokens.set(text, tokens);
    }
    return tokens;
  }

  /** The tokens that end a turn on their own: the model's EOS sequences of one token (asked once). */
  endOfTurn(): readonly number[] {
    if (this.#endOfTurn === undefined) {
      const model = Model.getByName(this.modelName);
      if (model === undefined) throw new Error(`the model ${this.modelName} is no longer served`);
      this.#endOfTurn = model.eosTokens().flatMap((sequence) => (sequence.length === 1 ? [...sequence] : []));
      model[Symbol.dispose]();
    }
    return this.#endOfTurn;
  }

  leave(): void {
    if (--this.#contexts > 0) return;
    this.formatter[Symbol.dispose]();
    this.tokenizer[Symbol.dispose]();
    this.queue[Symbol.dispose]();
  }

  /** The family syntax of the model's turns (`turn-syntax.ts`). */
  turnSyntax(): TurnSyntax {
    this.#turnSyntax ??= syntaxOf(this.#templateSource);
    return this.#turnSyntax;
  }

  /**
   * Renders a conversation: through the contract's formatter, or, once tools are offered or a tool message
   * names its call, through `inferlib:chat/templates`, which passes them (or describes the tools in the
   * system message).
   */
  render(
    messages: readonly Message[],
    generationPrompt: boolean,
    beginOfSequence: boolean,
    tools: ToolSet | undefined,
  ): string {
    if (tools !== undefined || messages.some(({ call }) => call !== undefined)) {
      return this.renderWithTools(messages, generationPrompt, beginOfSequence, tools);
    }
    const adders: Record<Role, (content: string) => void> = {
      system: (content) => this.formatter.addSystem(content),
      user: (content) => this.formatter.addUser(content),
      assistant: (content) => this.formatter.addAssistant(content),
      tool: (content) => this.formatter.addTool(content),
    };
    for (const { role, content } of messages) adders[role](content);
    try {
      return this.formatter.render(generationPrompt, beginOfSequence);
    } finally {
      this.formatter.clear();
    }
  }

  /**
   * Renders with `tools` as the template's `tools` variable, or, when `tools.systemPrompt` says the template
   * renders none, with their description in the system message. Tool messages carry their call's name and id.
   */
  renderWithTools(
    messages: readonly Message[],
    generationPrompt: boolean,
    beginOfSequence: boolean,
    tools: Pick<ToolSet, 'json' | 'systemPrompt'> | undefined,
  ): string {
    this.#template ??= new ChatTemplate(this.#templateSource);
    const rendered = messages.map(({ role, content, call }) => ({
      role,
      content,
      ...(call === undefined
        ? {}
        : { name: call.name, ...(call.id === undefined ? {} : { tool_call_id: call.id }) }),
    }));
    const systemPrompt = tools?.systemPrompt;
    if (systemPrompt !== undefined) {
      const [first] = rendered;
      if (first?.role === 'system')
        rendered[0] = { ...first, content: `${first.content}\n\n${systemPrompt}` };
      else rendered.unshift({ role: 'system', content: systemPrompt });
    }
    const variables = JSON.stringify({
      messages: rendered,
      add_generation_prompt: generationPrompt,
      begin_of_sequence: beginOfSequence,
    });
    const withTools =
      tools !== undefined && systemPrompt === undefined
        ? `${variables.slice(0, -1)},"tools":${tools.json}}`
        : variables;
    try {
      return this.#template.render(withTools);
    } catch (error) {
      throw new Error(messageOf(error));
    }
  }

  isShared(page: number): boolean {
    return this.#sharedPages.has(page);
  }

  share(pages: readonly number[]): void {
    for (const page of pages) this.#sharedPages.set(page, (this.#sharedPages.get(page) ?? 1) + 1);
  }

  /** Gives up one holding of each page; frees those nobody holds any more. */
  release(pages: readonly number[]): void {
    const free: number[] = [];
    for (const page of pages) {
      const holders = this.#sharedPages.get(page);
      if (holders === undefined) free.push(page);
      else if (holders === 2) this.#sharedPages.delete(page);
      else this.#sharedPages.set(page, holders - 1);
    }
    if (free.length > 0) this.queue.deallocateKvPages(Uint32Array.from(free));
  }
}

/**
 * A conversation on one model. Text is tokenized into *pending* tokens; a forward pass moves them into the
 * KV cache (*processed*), which lives in pages of the model's page size, grown and shrunk as it changes.
 */
export class Context {
  /** The drafter a new context starts with: set by a subclass whose contexts draft by default (`context-pld`). */
  static readonly proposeDrafts: ProposeDrafts | undefined = undefined;

  readonly #session: Session;
  readonly #pages: number[] = [];
  /** `#pages` as the host takes it, made again only when the pages change. */
  #pageList = new Uint32Array(0);
  readonly #processed: number[] = [];
  #pending: number[] = [];
  /** How many of the first pending tokens `get-token-ids` shows: generated ones (or processed, taken back). */
  #shownPending = 0;
  #filled = false;
  readonly #conversation: Conversation;
  /** Where the assistant's turn starts (after a generation prompt), as an index into all the tokens. */
  #turnStart: number | undefined;
  /** Where the last fill ended: tokens generated after it, with no generation prompt, are a turn too. */
  #filledUpTo = 0;
  /** The generation prompt's token count, while it ends the tokens and may be taken back. */
  #promptTokens = 0;
  /** Tokens a speculative step generated beyond the one handed out: part of the context until given back. */
  #ahead: number[] = [];
  /** What generation drafts with (`inferlib:context/drafting.set-drafter`); forks inherit it. */
  #drafter: ProposeDrafts | undefined;
  /** The draws of samplers the library runs itself (structured generation); seeded on first use. */
  #random: SeededRandom | undefined;
  /** The adapter slot and seed every pass runs with (`inferlib:context/adapters`), if set. */
  #adapter: number | undefined;
  #adapterSeed: bigint | undefined;

  /** `inferlib:context/inference`'s constructor takes a model; a fork passes its session and conversation. */
  constructor(model: Model | Session, conversation?: Conversation) {
    this.#session = model instanceof Session ? model.join() : new Session(model).join();
    this.#drafter = new.target.proposeDrafts;
    this.#conversation =
      conversation ??
      new Conversation((messages, prompt, bos, tools) => this.#session.render(messages, prompt, bos, tools));
  }

  /** Text as it is, control tokens included (`<|im_end|>` becomes that token). */
  fill(text: string): void {
    this.settle();
    this.#appendPending(this.#session.tokenizer.tokenize(text));
  }

  /** The message fills keep their content literal: see `literal-content.ts`. */
  fillSystem(text: string): void {
    this.#fillMessage(`${iface}.context.fill-system`, 'system', text);
  }

  fillUser(text: string): void {
    this.#fillMessage(`${iface}.context.fill-user`, 'user', text);
  }

  fillAssistant(text: string): void {
    this.#fillMessage(`${iface}.context.fill-assistant`, 'assistant', text);
  }

  /**
   * Offers `json`'s tools in every rendering from now: as the template's `tools` variable, or described in
   * the system message when the template renders none (it renders the same with and without them).
   */
  setTools(call: string, json: string): void {
    if (this.#filled) {
      throw new Error(`${call}: the context already holds tokens; set the tools before the first fill`);
    }
    const session = this.#session;
    const { tools, definitions } = parseTools(call, json);
    const probe: Message[] = [{ role: 'user', content: 'x' }];
    let rendersTools: boolean;
    try {
      rendersTools =
        session.renderWithTools(probe, true, true, { json, systemPrompt: undefined }) !==
        session.renderWithTools(probe, true, true, undefined);
    } catch (error) {
      throw new Error(`${call}: the chat template fails with these tools: ${messageOf(error)}`);
    }
    this.#conversation.tools = {
      json,
      tools,
      systemPrompt: rendersTools ? undefined : toolsSystemPrompt(definitions, session.turnSyntax()),
    };
  }

  /** The tools offered, if any. */
  get tools(): ToolSet | undefined {
    return this.#conversation.tools;
  }

  fillToolResult(call: string, toolCall: ToolCall, content: string): void {
    this.#fillMessage(call, 'tool', content, toolCall);
  }

  /** The family syntax of the model's turns. */
  turnSyntax(): TurnSyntax {
    return this.#session.turnSyntax();
  }

  /** The generation prompt the assistant's turn begins after, while the turn goes on (no message since). */
  get generationPrompt(): string | undefined {
    return this.#conversation.generationPrompt;
  }

  /** How many tokens the context holds, generated ones included. */
  tokenCount(): number {
    this.settle();
    return this.#processed.length + this.#pending.length;
  }

  /** `text`'s tokens as the tokenizer gives them: control tokens form. */
  tokenize(text: string): Uint32Array {
    return this.#session.tokenizer.tokenize(text);
  }

  /** Runs every pending token through one forward pass, asking for no output. */
  flush(): void {
    this.settle();
    if (this.#pending.length === 0) return;
    this.#run(this.#pending, () => {});
    this.#pending = [];
  }

  generate(sampler: SamplerConfig, stopConfig: StopConfig): string {
    checkSampler(generateCall, sampler);
    checkStopConfig(generateCall, stopConfig);
    const generated: number[] = [];
    while (generated.length < stopConfig.maxTokens) {
      generated.push(this.nextToken(generateCall, sampler, stopConfig.maxTokens - generated.length));
      if (stopConfig.eosSequences.some((sequence) => endsWith(generated, sequence))) break;
    }
    this.settle();
    return this.#session.tokenizer.detokenize(Uint32Array.from(generated));
  }

  /** Every processed token and every generated one, detokenized. */
  getText(): string {
    return this.#session.tokenizer.detokenize(this.getTokenIds());
  }

  /** Every processed token and every generated one (the last generated token is still pending). */
  getTokenIds(): Uint32Array {
    this.settle();
    const tokens = new Uint32Array(this.#processed.length + this.#shownPending);
    tokens.set(this.#processed);
    tokens.set(this.#pending.slice(0, this.#shownPending), this.#processed.length);
    return tokens;
  }

  detokenize(tokens: Uint32Array): string {
    return this.#session.tokenizer.detokenize(tokens);
  }

  [Symbol.dispose](): void {
    this.#session.release(this.#pages.splice(0));
    this.#session.leave();
  }

  /**
   * The next generated token, for a generation that may take `budget` more. A speculative step generates
   * several; those beyond the first wait in `#ahead` and are given back if anything else uses the context.
   * `drafts`, when given, are verified instead of the drafter's (the caller drafts).
   */
  nextToken(call: string, sampler: SamplerConfig, budget: number, drafts?: readonly number[]): number {
    const ahead = this.#ahead.shift();
    if (ahead !== undefined) return ahead;
    const [token, ...more] = this.#step(call, sampler, budget, drafts);
    if (token === undefined) throw new Error(`${call}: the forward pass returned no token`);
    this.#ahead = more;
    return token;
  }

  /** Whether a speculative step generated tokens that `nextToken` has not handed out yet. */
  hasTokensAhead(): boolean {
    return this.#ahead.length > 0;
  }

  /** The drafter later generation drafts with; `undefined`: none. */
  setDrafter(drafter: ProposeDrafts | undefined): void {
    this.#drafter = drafter;
  }

  /** The tokens a drafter proposes from: those run, and those the next pass runs. */
  draftSource(): { processed: readonly number[]; pending: readonly number[] } {
    this.settle();
    return { processed: this.#processed, pending: this.#pending };
  }

  /** Seeds the draws of the samplers the library runs itself for this context (and its forks from now). */
  seedSampling(seed: bigint): void {
    this.#random = new SeededRandom(seed);
  }

  /** The adapter slot later passes run with; `undefined`: the base model. */
  setAdapter(pointer: number | undefined): void {
    this.#adapter = pointer;
  }

  /** The adapter seed later passes send; `undefined`: none. */
  setAdapterSeed(seed: bigint | undefined): void {
    this.#adapterSeed = seed;
  }

  /** A uniform draw in [0, 1): seeded by `seedSampling`, else from the host's randomness. */
  random(): number {
    if (this.#random === undefined) {
      const seed = new BigUint64Array(1);
      crypto.getRandomValues(seed);
      this.#random = new SeededRandom(seed[0] ?? 0n);
    }
    return this.#random.next();
  }

  /** The model's tokens as bytes (fetched once per model). */
  vocabulary(): Vocabulary {
    return this.#session.vocabulary();
  }

  /**
   * How many tokens a distribution over the whole vocabulary holds: the vocabulary `get-vocabs` lists and the
   * end-of-turn tokens, which it may leave out. The host ABI tells no other size, and Pie's engine fails a
   * pass that asks for more tokens than the model has.
   */
  vocabularySize(): number {
    return Math.max(this.vocabulary().size, ...this.endOfTurn().map((id) => id + 1));
  }

  endOfTurn(): readonly number[] {
    return this.#session.endOfTurn();
  }

  /** The tokens of `text` as plain text (no control token forms). */
  tokenizeLiteral(text: string): readonly number[] {
    return this.#session.tokenizeLiteral(text);
  }

  /** Whether `token` is one of the model's control tokens. */
  isControlToken(token: number): boolean {
    return this.#session.vocabulary().isControl(token, this.#session.model);
  }

  /** Appends tokens as generated ones: part of the assistant's turn, shown by `get-token-ids`. */
  appendGenerated(tokens: readonly number[]): void {
    this.settle();
    pushAll(this.#pending, tokens);
    this.#shownPending = this.#pending.length;
  }

  /**
   * Replaces the last `count` generated tokens with the tokens of `text`, as plain text: what a stop string
   * leaves of the token it begins in. The slots given back are written again by the next pass.
   */
  replaceGenerated(count: number, text: string): void {
    this.settle();
    this.#takeBack(count);
    if (text !== '') this.appendGenerated(this.#session.tokenizeLiteral(text));
  }

  /**
   * A context holding the same tokens, sharing the full KV pages. The pending tokens are run first: a fork
   * shares only pages of processed tokens, and what was filled is what its user means to share.
   */
  fork(): Context {
    this.flush();
    const child = new (this.constructor as new (session: Session, conversation: Conversation) => Context)(
      this.#session,
      this.#conversation.clone(),
    );
    const fullPages = Math.floor(this.#processed.length / this.#session.pageSize);
    const sharedTokens = fullPages * this.#session.pageSize;
    const shared = this.#pages.slice(0, fullPages);
    this.#session.share(shared);
    pushAll(child.#pages, shared);
    child.#pageList = Uint32Array.from(shared);
    pushAll(child.#processed, this.#processed.slice(0, sharedTokens));
    // The tokens of a page still being filled are the child's own, computed again in its own page.
    child.#pending = [...this.#processed.slice(sharedTokens), ...this.#pending];
    child.#shownPending = this.#processed.length - sharedTokens + this.#shownPending;
    child.#filled = this.#filled;
    child.#turnStart = this.#turnStart;
    child.#filledUpTo = this.#filledUpTo;
    child.#promptTokens = this.#promptTokens;
    child.#adapter = this.#adapter;
    child.#adapterSeed = this.#adapterSeed;
    child.#drafter = this.#drafter;
    // A seeded parent's forks draw their own seeded streams; an unseeded one's seed themselves.
    if (this.#random !== undefined) {
      child.#random = new SeededRandom(BigInt(Math.floor(this.#random.next() * 2 ** 53)));
    }
    return child;
  }

  /** Runs the pending tokens; the distribution of the token after the last one. */
  predict(call: string, temperature: number, topK: number | undefined): Distribution {
    this.settle();
    this.#recomputeLastIfNothingPending(call);
    const result = this.#run(this.#pending, (pass, last) =>
      pass.outputDistributions(Uint32Array.of(last), temperature, topK),
    );
    this.#pending = [];
    const distribution = result.distributions?.[0];
    if (distribution === undefined) {
      throw new Error(
        `${call}: the forward pass returned no distribution: the model computed none (Pie's dummy model never does)`,
      );
    }
    return distribution;
  }

  /**
   * The log-probability at temperature 1 of each token of `continuation` after the context's tokens and the
   * continuation's before it. The first pass runs the pending tokens and the continuation and asks for the
   * likeliest `topKs[0]` at every position; each later pass asks for more of the distribution (the next of
   * `topKs`, at most the whole vocabulary) at the positions whose token was not found yet, running the
   * continuation again from the first of them. The continuation is then taken back: the context holds the
   * tokens it held, its pending ones run.
   */
  logProbabilities(call: string, continuation: readonly number[], topKs: readonly number[]): number[] {
    const logProbabilities = continuation.map(() => Number.NaN);
    if (continuation.length === 0) return logProbabilities;
    this.settle();
    this.#recomputeLastIfNothingPending(call);
    const length = this.#processed.length + this.#pending.length;
    // The token each of the continuation's comes after: its distribution is that token's output.
    const before = [this.#pending.pop() as number, ...continuation.slice(0, -1)];
    let missing = continuation.map((_, index) => index);
    let vocabularySize = Infinity;
    try {
      for (const [round, asked] of topKs.entries()) {
        const topK = Math.min(asked, vocabularySize);
        const first = missing[0] as number;
        // Runs from the token before the first missing one; the first pass runs the pending tokens too.
        if (round > 0) this.#truncate(length - 1 + first);
        const offset = this.#pending.length - first;
        pushAll(this.#pending, before.slice(first, (missing.at(-1) as number) + 1));
        const indices = Uint32Array.from(missing, (index) => offset + index);
        const result = this.#run(this.#pending, (pass) => pass.outputDistributions(indices, 1, topK));
        this.#pending = [];
        const distributions = result.distributions ?? [];
        if (distributions.length !== missing.length) {
          throw new Error(
            `${call}: the forward pass returned ${distributions.length} distributions, not ${missing.length}: the model computed none (Pie's dummy model never does)`,
          );
        }
        const notFound: number[] = [];
        missing.forEach((index, at) => {
          const { ids, probs } = distributions[at] as Distribution;
          const found = ids.indexOf(continuation[index] as number);
          if (found === -1) notFound.push(index);
          else logProbabilities[index] = Math.log(probs[found] as number);
        });
        missing = notFound;
        if (missing.length === 0) break;
        if (round === 0) {
          vocabularySize = this.vocabularySize();
          for (const index of missing) {
            const token = continuation[index] as number;
            if (token >= vocabularySize) {
              throw new Error(
                `${call}: continuation[${index}] is token ${token}, outside the model's vocabulary (${vocabularySize} tokens)`,
              );
            }
          }
        }
        if (topK >= vocabularySize || round === topKs.length - 1) {
          const index = missing[0] as number;
          throw new Error(
            `${call}: continuation[${index}], token ${continuation[index]}, is not in the distribution over the whole vocabulary (the likeliest ${topK}) the host returned`,
          );
        }
      }
    } finally {
      if (this.#processed.length > length) this.#truncate(length);
    }
    return logProbabilities;
  }

  fillTokens(tokens: ArrayLike<number>): void {
    this.settle();
    this.#appendPending(tokens);
  }

  /**
   * One forward pass that generates one token, or, with drafts (the caller's, else the drafter's), the
   * drafts it confirms and one more. Drafts beyond `budget` are not run; rejected ones are given back; the
   * last token generated stays pending.
   */
  #step(call: string, sampler: SamplerConfig, budget: number, callerDrafts?: readonly number[]): number[] {
    this.#recomputeLastIfNothingPending(call);
    const drafts = this.#draftsFor(budget, callerDrafts);
    const inputs = drafts.length === 0 ? this.#pending : [...this.#pending, ...drafts];
    const firstOutput = this.#pending.length - 1;
    const result = this.#run(inputs, (pass) =>
      requestTokens(
        pass,
        Uint32Array.from({ length: drafts.length + 1 }, (_, index) => firstOutput + index),
        sampler,
      ),
    );
    const outputs = result.tokens;
    if (outputs === undefined || outputs.length !== drafts.length + 1) {
      throw new Error(
        `${call}: the forward pass returned ${outputs?.length ?? 0} tokens, not ${drafts.length + 1}`,
      );
    }
    let accepted = 0;
    while (accepted < drafts.length && outputs[accepted] === drafts[accepted]) accepted++;
    if (accepted < drafts.length) this.#truncate(this.#processed.length - (drafts.length - accepted));
    const last = outputs[accepted] as number;
    this.#pending = [last];
    this.#shownPending = 1;
    const generated = drafts.slice(0, accepted);
    generated.push(last);
    return generated;
  }

  /** The drafts a step verifies: the caller's, else the drafter's, no more than `budget` leaves room for. */
  #draftsFor(budget: number, callerDrafts: readonly number[] | undefined): readonly number[] {
    const max = budget - 1;
    if (max <= 0) return [];
    if (callerDrafts !== undefined) return callerDrafts.slice(0, max);
    const propose = this.#drafter;
    return propose === undefined
      ? []
      : propose(this.#processed, this.#pending, Math.min(max, propose.maxDrafts));
  }

  /** Gives back the tokens generated ahead and not handed out: the context ends where its user saw it end. */
  settle(): void {
    const count = this.#ahead.length;
    if (count === 0) return;
    this.#ahead = [];
    // The last of them is pending; the others are processed.
    this.#pending = [];
    this.#shownPending = 0;
    this.#truncate(this.#processed.length - (count - 1));
  }

  /** With nothing pending, recomputes the last processed token (same token, same slot) to predict from it. */
  #recomputeLastIfNothingPending(call: string): void {
    if (this.#pending.length > 0) return;
    const last = this.#processed.at(-1);
    if (last === undefined) throw new Error(`${call}: the context is empty; fill it first`);
    this.#truncate(this.#processed.length - 1);
    this.#pending.push(last);
    this.#shownPending += 1;
  }

  /**
   * Keeps `length` processed tokens and gives back the pages the rest used. The page that the next pass
   * writes must be this context's own: when it is shared, its tokens are computed again in a page of its own.
   */
  #truncate(length: number): void {
    const { pageSize } = this.#session;
    let cut = length;
    const partialPage = this.#pages[Math.floor(length / pageSize)];
    if (length % pageSize !== 0 && partialPage !== undefined && this.#session.isShared(partialPage)) {
      cut = Math.floor(length / pageSize) * pageSize;
    }
    const recompute = this.#processed.slice(cut, length);
    this.#processed.length = cut;
    this.#pending = [...recompute, ...this.#pending];
    this.#shownPending += recompute.length;
    this.#fitPages(cut);
  }

  /** `call` names the WIT call errors come from; a tool message carries the `toolCall` it answers. */
  #fillMessage(call: string, role: Role, content: string, toolCall?: ToolCall): void {
    this.settle();
    const tokenizer = this.#session.tokenizer;
    const length = this.#processed.length + this.#pending.length;
    const turnStart = this.#turnStart ?? this.#filledUpTo;
    const turn =
      length <= turnStart
        ? ''
        : tokenizer.detokenize(Uint32Array.from([...this.#processed, ...this.#pending].slice(turnStart)));
    try {
      const addition = this.#conversation.add(role, turn, !this.#filled, toolCall);
      const model = { name: this.#session.modelName, tokenizer };
      const tokens = tokenizeMessage(addition.text, content, model);
      const prompt = tokenizer.tokenize(addition.commit(content));
      if (addition.retractPrompt) this.#takeBack(this.#promptTokens);
      this.#appendPending(tokens);
      this.#appendPending(prompt);
      this.#promptTokens = prompt.length;
      this.#turnStart = this.#conversation.prompted
        ? this.#processed.length + this.#pending.length
        : undefined;
    } catch (error) {
      throw new Error(`${call}: ${messageOf(error)}`);
    }
  }

  /** Removes the last `count` tokens, pending first. */
  #takeBack(count: number): void {
    const fromPending = Math.min(count, this.#pending.length);
    this.#pending.length -= fromPending;
    this.#shownPending = Math.min(this.#shownPending, this.#pending.length);
    if (count > fromPending) this.#truncate(this.#processed.length - (count - fromPending));
  }

  #appendPending(tokens: ArrayLike<number>): void {
    pushAll(this.#pending, tokens);
    this.#filled = true;
    this.#promptTokens = 0;
    this.#filledUpTo = this.#processed.length + this.#pending.length;
  }

  /** Holds exactly the pages `length` tokens need. */
  #fitPages(length: number): void {
    const needed = Math.ceil(length / this.#session.pageSize);
    if (needed > this.#pages.length) {
      pushAll(this.#pages, this.#session.queue.allocateKvPages(needed - this.#pages.length));
    } else if (needed < this.#pages.length) {
      this.#session.release(this.#pages.splice(needed));
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
    const pass = this.#session.queue.createForwardPass();
    pass.kvCache(this.#pageList, length - (this.#pages.length - 1) * this.#session.pageSize);
    pass.inputTokens(
      Uint32Array.from(tokens),
      Uint32Array.from(tokens, (_, index) => start + index),
    );
    // Input i, at slot start + i, attends to every slot up to its own: one run of start + i + 1 falses.
    pass.attentionMask(Array.from(tokens, (_, index) => Uint32Array.of(start + index + 1)));
    if (this.#adapter !== undefined) pass.setAdapter(this.#adapter);
    if (this.#adapterSeed !== undefined) pass.setAdapterSeed(this.#adapterSeed);
    request(pass, tokens.length - 1);
    const result = pass.execute();
    pass[Symbol.dispose]();
    pushAll(this.#processed, tokens);
    this.#shownPending = 0;
    return result;
  }
}

refuseAfterDrop(Context, `${iface}.context`);
