/**
 * The text of generated tokens as it becomes final, step by step: nothing of a token sequence that may still
 * become an end-of-turn sequence, nothing of text that may still become a stop string, and no half of a
 * character whose UTF-8 bytes are split across tokens. Detokenizing a window from the token before the new
 * ones keeps tokenizers that drop a leading space (SentencePiece) from changing the text.
 */
import { pushAll } from '@inferlib/support';

export type Finish = 'eos-sequence' | 'stop-string' | 'max-tokens';

export interface Stops {
  readonly maxTokens: number;
  readonly eosSequences: readonly ArrayLike<number>[];
  readonly stopStrings: readonly string[];
}

const replacement = '\uFFFD';

/** Whether `tokens` end with `suffix` (never empty: the stop conditions' check refuses that). */
export const endsWith = (tokens: readonly number[], suffix: ArrayLike<number>): boolean =>
  suffix.length <= tokens.length &&
  Array.prototype.every.call(
    suffix,
    (token: number, index: number) => tokens[tokens.length - suffix.length + index] === token,
  );

/** The longest suffix of `items` that is a proper prefix of one of `sequences`, by its length. */
function heldBack<T>(length: number, at: (index: number) => T, sequences: readonly ArrayLike<T>[]): number {
  let longest = 0;
  for (const sequence of sequences) {
    for (let size = Math.min(sequence.length - 1, length); size > longest; size--) {
      let matches = true;
      for (let index = 0; index < size && matches; index++) {
        matches = at(length - size + index) === sequence[index];
      }
      if (matches) {
        longest = size;
        break;
      }
    }
  }
  return longest;
}

export class TextStream {
  readonly #detokenize: (tokens: Uint32Array) => string;
  readonly #stops: Stops;
  readonly #tokens: number[] = [];
  /** Tokens before this index have been detokenized; `#windowStart` is where the window begins. */
  #decoded = 0;
  #windowStart = 0;
  /** Final text not yet handed out: it may be the start of a stop string. */
  #text = '';
  /** All the text handed out: the answer. */
  #answer = '';
  #finish: Finish | undefined;

  constructor(detokenize: (tokens: Uint32Array) => string, stops: Stops) {
    this.#detokenize = detokenize;
    this.#stops = stops;
  }

  get finish(): Finish | undefined {
    return this.#finish;
  }

  get tokens(): readonly number[] {
    return this.#tokens;
  }

  /** Takes the next generated token; returns the text that became final. */
  push(token: number): string {
    const text = this.#push(token);
    this.#answer += text;
    return text;
  }

  /**
   * After a stop string: how many of the generated tokens hold only text the answer shows, and the text the
   * answer shows beyond them (what the token the stop string begins in holds before it).
   */
  answerTokens(): { kept: number; rest: string } {
    for (let kept = this.#tokens.length - 1; kept > 0; kept--) {
      const text = this.#detokenize(Uint32Array.from(this.#tokens.slice(0, kept)));
      if (!text.endsWith(replacement) && this.#answer.startsWith(text)) {
        return { kept, rest: this.#answer.slice(text.length) };
      }
    }
    return { kept: 0, rest: this.#answer };
  }

  #push(token: number): string {
    if (this.#finish !== undefined) throw new Error('TextStream: generation has finished');
    const tokens = this.#tokens;
    tokens.push(token);
    const eos = this.#stops.eosSequences.find((sequence) => endsWith(tokens, sequence));
    if (eos !== undefined) {
      this.#finish = 'eos-sequence';
      return this.#release(tokens.length - eos.length);
    }
    if (tokens.length >= this.#stops.maxTokens) {
      this.#finish = 'max-tokens';
      return this.#release(tokens.length);
    }
    const held = heldBack(tokens.length, (index) => tokens[index], this.#stops.eosSequences);
    this.#text += this.#decode(tokens.length - held, false);
    return this.#takeFinal();
  }

  /** Ends generation where it is, as `max-tokens` does: the text held back, the stop strings still applied. */
  end(): string {
    if (this.#finish !== undefined) return '';
    this.#finish = 'max-tokens';
    const text = this.#release(this.#tokens.length);
    this.#answer += text;
    return text;
  }

  /** A stream that goes on from where this one is, independently (a fork's). */
  clone(): TextStream {
    const copy = new TextStream(this.#detokenize, this.#stops);
    pushAll(copy.#tokens, this.#tokens);
    copy.#decoded = this.#decoded;
    copy.#windowStart = this.#windowStart;
    copy.#text = this.#text;
    copy.#answer = this.#answer;
    copy.#finish = this.#finish;
    return copy;
  }

  /** Everything up to token `end` as final text, the stop strings still applied. */
  #release(end: number): string {
    this.#text += this.#decode(end, true);
    const text = this.#takeFinal();
    if (this.#finish === 'stop-string') return text;
    const rest = this.#text;
    this.#text = '';
    return text + rest;
  }

  /** The text of tokens up to `end` not decoded yet; a split character waits unless `final`. */
  #decode(end: number, final: boolean): string {
    if (end <= this.#decoded) return '';
    const window = (to: number) =>
      this.#detokenize(Uint32Array.from(this.#tokens.slice(this.#windowStart, to)));
    const before = window(this.#decoded);
    const after = window(end);
    if (!final && (after.endsWith(replacement) || !after.startsWith(before))) return '';
    this.#windowStart = this.#decoded;
    this.#decoded = end;
    return after.startsWith(before) ? after.slice(before.length) : after;
  }

  /**
   * Hands out the final text but what may begin a stop string. Generation stops at the stop string that is
   * complete first, as if text came one character at a time (the longest of those ending together), so where
   * it stops does not depend on how the text is split into tokens.
   */
  #takeFinal(): string {
    const text = this.#text;
    let stop: { start: number; end: number } | undefined;
    for (const stopString of this.#stops.stopStrings) {
      const start = text.indexOf(stopString);
      const end = start + stopString.length;
      if (
        start !== -1 &&
        (stop === undefined || end < stop.end || (end === stop.end && start < stop.start))
      ) {
        stop = { start, end };
      }
    }
    if (stop !== undefined) {
      this.#finish = 'stop-string';
      this.#text = '';
      return text.slice(0, stop.start);
    }
    const held = heldBack(text.length, (index) => text[index], this.#stops.stopStrings);
    this.#text = text.slice(text.length - held);
    return text.slice(0, text.length - held);
  }
}
