/**
 * `inferlib:context/structured`: generation whose text must match a constraint. The host gives no logit
 * mask, so each step asks for the next token's distribution (`predict`), walks it from the likeliest token
 * and keeps those the constraint allows (asking for more of the distribution when none is), and appends the
 * text the constraint leaves no choice about itself (jump-forward), tokenized as the model would write it.
 */
import type { Completion, FinishReason, Step } from 'inferlib:context/generation';
import type { SamplerConfig } from 'inferlib:context/inference';
import { type Constraint, check as checkMatcher, Grammar, type Matcher } from 'inferlib:grammar/matcher';
import { checkLive, refuseAfterDrop } from '@inferlib/support';
import { checkCount, checkSampler, messageOf } from './checks.ts';
import type { Context } from './context.ts';
import { type Candidate, draw, kept, temperatureOf, topKs } from './sampling.ts';
import { Utf8Text } from './utf8-text.ts';

const iface = 'inferlib:context/structured';

/**
 * How many candidates greedy judges at once, in turn, looking for the likeliest allowed one: the likeliest
 * alone first (a trained model's choice is mostly allowed), then more at a time.
 */
const greedyBatches = [1, 7, 24];
/** From this many candidates on, the prefixes the text may go on with rule most of them out first. */
const plausibleFrom = 256;

/** `inferlib:context/structured.check`: the `err` is thrown as its text. */
export function check(constraint: Constraint): void {
  try {
    checkMatcher(constraint);
  } catch (error) {
    throw `${iface}.check: ${messageOf(error)}`;
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

const startsWith = (bytes: Uint8Array, prefix: Uint8Array): boolean =>
  prefix.length <= bytes.length && prefix.every((byte, index) => bytes[index] === byte);

/** A token waiting to be handed out, and whether it is the end of turn (which adds no text). */
interface Queued {
  readonly token: number;
  readonly endOfTurn: boolean;
}

export class StructuredGenerator {
  readonly #call: string;
  readonly #context: Context;
  readonly #sampler: SamplerConfig;
  readonly #maxTokens: number;
  readonly #matcher: Matcher | undefined;
  /** Why the arguments cannot generate: the `err` of every `next`. */
  readonly #refusal: string | undefined;
  readonly #text = new Utf8Text();
  /** Tokens appended to the context and not handed out yet (a forced run). */
  readonly #queue: Queued[] = [];
  /** Every token appended, a closing end of turn included. */
  readonly #tokens: number[] = [];
  /** Tokens that count against `max-tokens`: all but a closing end of turn the library appended. */
  #counted = 0;
  #finish: FinishReason | undefined;
  #started = false;
  /**
   * Whether the text ends the turn: a whole match closes it with the end of turn. Otherwise (a tool call's
   * part, more text follows) an end of turn the model chooses where the text may end ends the text instead.
   */
  readonly #endsTurn: boolean;
  /**
   * Plain text that follows the match (a tool call's `\n` before `</tool_call>`): the token the model
   * writes the match's end with may run into it (Qwen's `"}}\n`), as may the forced end of the match.
   */
  readonly #followedBy: Uint8Array;
  /** How many bytes of `#followedBy` the last token wrote beyond the match. */
  #spilled = 0;
  /** This step's candidates that end the match and run into `#followedBy`: their bytes of the match. */
  readonly #endingTokens = new Map<number, number>();

  /**
   * `call` names the WIT call errors come from (`complete-structured` runs a generator too); `endsTurn`
   * false for text that more of the turn follows, which begins with `followedBy`.
   */
  constructor(
    context: Context,
    sampler: SamplerConfig,
    constraint: Constraint,
    maxTokens: number,
    call = `${iface}.structured-generator`,
    continuation?: { readonly followedBy: string },
  ) {
    this.#endsTurn = continuation === undefined;
    this.#followedBy = new TextEncoder().encode(continuation?.followedBy ?? '');
    checkLive(context, call, 'context');
    this.#call = call;
    this.#context = context;
    this.#sampler = sampler;
    this.#maxTokens = maxTokens;
    try {
      checkSampler(call, sampler);
      checkCount(call, 'max-tokens', maxTokens);
      try {
        this.#matcher = Grammar.compile(constraint).matcher();
      } catch (error) {
        throw new Error(`${call}: constraint ${messageOf(error)}`);
      }
    } catch (error) {
      this.#refusal = messageOf(error);
    }
  }

  /** The next step; `undefined` once generation has finished. An `err` is thrown as its text. */
  next(): Step | undefined {
    const call = this.#call === `${iface}.structured-generator` ? `${this.#call}.next` : this.#call;
    checkLive(this.#context, call, 'context it generates from');
    if (this.#refusal !== undefined) throw this.#refusal;
    try {
      return this.#next(this.#matcher as Matcher);
    } catch (error) {
      // The context's own errors name the call already (`predict` is given it).
      const message = messageOf(error);
      throw message.startsWith(`${this.#call}`) ? message : `${call}: ${message}`;
    }
  }

  finish(): FinishReason | undefined {
    return this.#finish;
  }

  /** The text of `followedBy` the generated tokens wrote beyond the match. */
  get spilled(): string {
    return new TextDecoder().decode(this.#followedBy.subarray(0, this.#spilled));
  }

  /** Every token generated so far, a closing end of turn included. */
  get tokens(): readonly number[] {
    return this.#tokens;
  }

  #next(matcher: Matcher): Step | undefined {
    if (!this.#started) {
      this.#started = true;
      this.#appendWithForced(matcher, undefined);
    }
    if (this.#queue.length === 0 && this.#finish === undefined) this.#step(matcher);
    const queued = this.#queue.shift();
    if (queued === undefined) return undefined;
    const text = queued.endOfTurn ? '' : this.#text.push(this.#bytesOf(queued.token));
    return { token: queued.token, text };
  }

  #bytesOf(token: number): Uint8Array {
    const bytes = this.#context.vocabulary().bytes(token);
    if (bytes === undefined) throw new Error(`token ${token} is not in the model's vocabulary`);
    return bytes;
  }

  /**
   * Appends generated tokens to the context and the steps to hand out; all count against `max-tokens` but
   * an end of turn the library closes the text with.
   */
  #append(tokens: readonly number[], ending: 'text' | 'chosen-end' | 'closing-end' = 'text'): void {
    this.#context.appendGenerated(tokens);
    for (const token of tokens) this.#queue.push({ token, endOfTurn: ending !== 'text' });
    this.#tokens.push(...tokens);
    if (ending !== 'closing-end') this.#counted += tokens.length;
  }

  /** One token chosen from the distribution, and what is forced after it. */
  #step(matcher: Matcher): void {
    if (this.#counted >= this.#maxTokens) {
      this.#finish = 'max-tokens';
      return;
    }
    const token = this.#choose(matcher);
    if (this.#context.endOfTurn().includes(token)) {
      this.#finish = 'eos-sequence';
      if (this.#endsTurn) this.#append([token], 'chosen-end');
      return;
    }
    const bytes = this.#bytesOf(token);
    const matched = this.#endingTokens.get(token);
    if (matched !== undefined) {
      // The token ends the match and writes the start of what follows it.
      matcher.advanceBytes(bytes.subarray(0, matched));
      this.#spilled = bytes.length - matched;
      this.#finish = 'eos-sequence';
      this.#append([token]);
      return;
    }
    matcher.advanceBytes(bytes);
    this.#appendWithForced(matcher, token);
  }

  /**
   * Appends `token` (just chosen and read by the matcher; `undefined` at the start) and the text the
   * constraint forces after it, tokenized together with the token's text as the model would write it. The
   * last token of that is left to the model unless nothing may follow: the model may write its text with more.
   * A text that nothing may follow is closed with the model's end of turn, as the model would close it.
   */
  #appendWithForced(matcher: Matcher, token: number | undefined): void {
    const chosen = token === undefined ? [] : [token];
    const forcedTokens = this.#forcedTokens(matcher, token);
    this.#append(forcedTokens ?? chosen);
    if (matcher.isComplete() && !matcher.canContinue()) {
      this.#finish = 'eos-sequence';
      const [endOfTurn] = this.#context.endOfTurn();
      if (endOfTurn !== undefined && this.#endsTurn) this.#append([endOfTurn], 'closing-end');
    }
  }

  /**
   * The tokens that write `token` and the forced text after it, the matcher moved past the forced part they
   * hold; `undefined` when they gain nothing over `token` alone (or the budget leaves no room).
   */
  #forcedTokens(matcher: Matcher, token: number | undefined): number[] | undefined {
    const forced = matcher.forced();
    const budget = this.#maxTokens - this.#counted;
    if (forced.text === '' || budget < (token === undefined ? 1 : 2)) return undefined;
    const tokenBytes = token === undefined ? new Uint8Array() : this.#bytesOf(token);
    // A token whose bytes end or start inside a character is kept as it is, the forced text after it.
    const tokenText = decodeWhole(tokenBytes);
    const kept = token !== undefined && tokenText === undefined ? [token] : [];
    // A forced end of the match is written with what follows, as the model would write them together.
    const after = forced.ends ? new TextDecoder().decode(this.#followedBy) : '';
    const written = [...this.#context.tokenizeLiteral((tokenText ?? '') + forced.text + after)];
    if (!forced.ends) written.pop();
    const tokens = [...kept, ...written].slice(0, budget);
    const bytes = concat(tokens.map((each) => this.#bytesOf(each)));
    const forcedBytes = new TextEncoder().encode(forced.text);
    const matchEnd = tokenBytes.length + forcedBytes.length;
    const expected = concat([tokenBytes, forcedBytes, this.#followedBy]);
    // The tokenizer's bytes must spell the text, and gain on the token's own.
    if (bytes.length <= tokenBytes.length || !startsWith(expected, bytes)) return undefined;
    if (!matcher.advanceBytes(bytes.subarray(tokenBytes.length, Math.min(bytes.length, matchEnd)))) {
      throw new Error(`the forced text ${JSON.stringify(forced.text)} was refused by its own constraint`);
    }
    this.#spilled = Math.max(0, bytes.length - matchEnd);
    return tokens;
  }

  /**
   * The next token: the likeliest the constraint allows (greedy), or a draw among the allowed tokens of the
   * distribution. The end of turn is allowed once the text is a whole match; control tokens never are. While
   * none of the distribution asked for is allowed, more of it is asked for (`topKs`).
   */
  #choose(matcher: Matcher): number {
    const context = this.#context;
    const temperature = temperatureOf(this.#sampler);
    const greedy = temperature === 0;
    // Then more of it, up to the whole: the vocabulary and the special tokens it leaves out (an end of turn).
    const whole = context.vocabularySize();
    for (const asked of topKs) {
      const topK = Math.min(asked, whole);
      const { ids, probs } = context.predict(this.#call, greedy ? 1 : temperature, topK);
      const candidates = this.#plausible(matcher, ids).map((index) => ({
        id: ids[index] as number,
        prob: probs[index] as number,
      }));
      const allowed = this.#allowed(matcher, candidates, greedy);
      if (allowed.length > 0) {
        return greedy ? (allowed[0] as Candidate).id : draw(kept(this.#sampler, allowed), context.random());
      }
      if (ids.length < topK || topK === whole) break;
    }
    throw new Error('no token of the vocabulary continues the text under the constraint');
  }

  /**
   * The indices into `ids` of the tokens whose first two bytes the text may go on with (the end of turn
   * always): a large distribution, asked for because nothing likelier was allowed, is mostly ruled out by its
   * tokens' first bytes, each of the (at most 65,536) prefixes judged once.
   */
  #plausible(matcher: Matcher, ids: Uint32Array): number[] {
    const plausible: number[] = [];
    if (ids.length <= plausibleFrom) {
      for (let index = 0; index < ids.length; index++) plausible.push(index);
      return plausible;
    }
    // Plain loops over typed arrays: inside a component this runs interpreted, over the whole vocabulary.
    const prefixes = this.#context.vocabulary().prefixes();
    const endOfTurn = this.#context.endOfTurn();
    const verdictOf = new Int8Array(0x2_0000);
    const keys: number[] = [];
    for (let index = 0; index < ids.length; index++) {
      const key = prefixes[ids[index] as number] ?? -1;
      if (key >= 0 && verdictOf[key] === 0) {
        verdictOf[key] = -1;
        keys.push(key);
      }
    }
    const verdicts = matcher.allows(
      keys.map((key) => (key & 0x1_0000 ? Uint8Array.of(key >> 8) : Uint8Array.of(key >> 8, key & 0xff))),
    );
    for (let index = 0; index < keys.length; index++)
      if (verdicts[index]) verdictOf[keys[index] as number] = 1;
    for (let index = 0; index < ids.length; index++) {
      const id = ids[index] as number;
      const key = prefixes[id] ?? -1;
      if ((key >= 0 && verdictOf[key] === 1) || endOfTurn.includes(id)) plausible.push(index);
    }
    return plausible;
  }

  /** The candidates that may come next, most probable first; greedy stops at the first batch with one. */
  #allowed(matcher: Matcher, candidates: readonly Candidate[], greedy: boolean): Candidate[] {
    const context = this.#context;
    const vocabulary = context.vocabulary();
    const endOfTurn = context.endOfTurn();
    const complete = matcher.isComplete();
    const allowed: Candidate[] = [];
    for (let start = 0, round = 0; start < candidates.length; round++) {
      const batch = greedy ? (greedyBatches[round] ?? candidates.length) : candidates.length;
      const end = Math.min(start + batch, candidates.length);
      // The candidates with text to judge, and where each is.
      const judged: number[] = [];
      const bytes: Uint8Array[] = [];
      for (let index = start; index < end; index++) {
        const { id } = candidates[index] as Candidate;
        const tokenBytes = vocabulary.bytes(id);
        if (tokenBytes !== undefined && !endOfTurn.includes(id) && !context.isControlToken(id)) {
          judged.push(index);
          bytes.push(tokenBytes);
        }
      }
      const verdicts = bytes.length === 0 ? [] : matcher.allows(bytes);
      this.#endingTokens.clear();
      if (this.#followedBy.length > 0) {
        this.#findEndingTokens(
          matcher,
          judged.flatMap((index, at) =>
            verdicts[at] ? [] : [{ id: (candidates[index] as Candidate).id, bytes: bytes[at] as Uint8Array }],
          ),
        );
      }
      let next = 0;
      for (let index = start; index < end; index++) {
        const candidate = candidates[index] as Candidate;
        if (judged[next] === index) {
          if (verdicts[next] === true || this.#endingTokens.has(candidate.id)) allowed.push(candidate);
          next++;
        } else if (complete && endOfTurn.includes(candidate.id)) {
          allowed.push(candidate);
        }
      }
      if (greedy && allowed.length > 0) break;
      start = end;
    }
    return allowed;
  }

  /**
   * Records in `#endingTokens` which of the tokens the match does not allow end it and go on with the start of
   * `#followedBy` (split where that text begins, the first part completes a match), with their bytes of the
   * match, for `#step`. The first parts are judged together, and only those allowed are tried whole.
   */
  #findEndingTokens(matcher: Matcher, refused: readonly { id: number; bytes: Uint8Array }[]): void {
    const follow = this.#followedBy;
    const splits: { id: number; bytes: Uint8Array; split: number }[] = [];
    for (const { id, bytes } of refused) {
      for (
        let split = bytes.indexOf(follow[0] as number);
        split > 0;
        split = bytes.indexOf(follow[0] as number, split + 1)
      ) {
        const rest = bytes.subarray(split);
        if (rest.length <= follow.length && startsWith(follow, rest)) splits.push({ id, bytes, split });
      }
    }
    if (splits.length === 0) return;
    const firstParts = matcher.allows(splits.map(({ bytes, split }) => bytes.subarray(0, split)));
    splits.forEach(({ id, bytes, split }, index) => {
      if (!firstParts[index] || this.#endingTokens.has(id)) return;
      const probe = matcher.fork();
      if (probe.advanceBytes(bytes.subarray(0, split)) && probe.isComplete())
        this.#endingTokens.set(id, split);
      probe[Symbol.dispose]();
    });
  }

  [Symbol.dispose](): void {
    // Nothing held beyond the context, which stays its user's.
  }
}

refuseAfterDrop(StructuredGenerator, `${iface}.structured-generator`);

/** The text of `bytes` when they are whole characters; `undefined` otherwise. */
function decodeWhole(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function completeStructured(
  context: Context,
  sampler: SamplerConfig,
  constraint: Constraint,
  maxTokens: number,
): Completion {
  const generator = new StructuredGenerator(
    context,
    sampler,
    constraint,
    maxTokens,
    `${iface}.complete-structured`,
  );
  let text = '';
  for (let step = generator.next(); step !== undefined; step = generator.next()) text += step.text;
  return { text, tokens: Uint32Array.from(generator.tokens), finish: generator.finish() ?? 'max-tokens' };
}

export function seedSampling(context: Context, seed: bigint): void {
  checkLive(context, `${iface}.seed-sampling`, 'context');
  context.seedSampling(seed);
}
