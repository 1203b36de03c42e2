/**
 * `TextStream` against an oracle: the steps' texts joined are the whole generated text up to the end-of-turn
 * sequence, cut before the stop string that completes first; no step hands out half a character; the finish
 * reason is the oracle's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Finish, TextStream } from '../src/text-stream.ts';

/** A byte-level vocabulary: words, and characters split across tokens (é as 2 bytes, 東 as 1 + 2). */
const pieces: readonly Uint8Array[] = [
  ...['a', 'b', 'ab', ' stop', 'st', 'op', '\n', 'END'].map((text) => new TextEncoder().encode(text)),
  Uint8Array.of(0xc3),
  Uint8Array.of(0xa9),
  Uint8Array.of(0xe6),
  Uint8Array.of(0x9d, 0xb1),
  new TextEncoder().encode('b\n'),
];
const wholeCharacters = [
  [8, 9],
  [10, 11],
];
const decoder = new TextDecoder();
const detokenize = (tokens: ArrayLike<number>): string => {
  const bytes = Array.from(tokens, (token) => [...(pieces[token] ?? [])]).flat();
  return decoder.decode(Uint8Array.from(bytes));
};

/** Token lists with split characters kept whole (a model generates valid UTF-8 in the end). */
const generated = fc
  .array(
    fc.oneof(
      fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 12).map((token) => [token]),
      fc.constantFrom(...wholeCharacters),
    ),
    {
      maxLength: 24,
    },
  )
  .map((groups) => groups.flat());

function oracle(
  tokens: readonly number[],
  stops: { maxTokens: number; eosSequences: number[][]; stopStrings: string[] },
) {
  let end = Math.min(tokens.length, stops.maxTokens);
  let finish: Finish | undefined = tokens.length >= stops.maxTokens ? 'max-tokens' : undefined;
  let kept = end;
  for (let index = 1; index <= end; index++) {
    const sequence = stops.eosSequences.find(
      (candidate) =>
        candidate.length <= index &&
        candidate.every((token, at) => tokens[index - candidate.length + at] === token),
    );
    if (sequence !== undefined) {
      end = index;
      kept = index - sequence.length;
      finish = 'eos-sequence';
      break;
    }
  }
  const text = detokenize(tokens.slice(0, kept));
  let stop: { start: number; end: number } | undefined;
  for (const stopString of stops.stopStrings) {
    const start = text.indexOf(stopString);
    const stopEnd = start + stopString.length;
    if (
      start !== -1 &&
      (stop === undefined || stopEnd < stop.end || (stopEnd === stop.end && start < stop.start))
    ) {
      stop = { start, end: stopEnd };
    }
  }
  return stop === undefined
    ? { text, finish }
    : { text: text.slice(0, stop.start), finish: 'stop-string' as const };
}

describe('TextStream', () => {
  it('hands out the oracle text, whole characters only, and stops where the oracle does', () => {
    fc.assert(
      fc.property(
        generated,
        fc.record({
          maxTokens: fc.integer({ min: 1, max: 30 }),
          eosSequences: fc.array(fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 2 }), {
            maxLength: 2,
          }),
          stopStrings: fc.array(fc.constantFrom('stop', 'b\na', 'é', 'ba', 'END', '東', 'b', 'ab\n'), {
            maxLength: 2,
          }),
        }),
        (tokens, stops) => {
          const stream = new TextStream(detokenize, stops);
          let text = '';
          for (const token of tokens) {
            const step = stream.push(token);
            // Only the end (max-tokens, an end-of-turn sequence) may cut a character, and then the text says
            // so, as detokenizing does.
            if (stream.finish === undefined) expect(step).not.toContain('\uFFFD');
            text += step;
            if (stream.finish !== undefined) break;
          }
          const expected = oracle(tokens, stops);
          // Tokens ran out before any stop: the oracle finishes only where the stream did.
          if (stream.finish === undefined) {
            expect(expected.finish === undefined || expected.finish === 'stop-string').toBe(true);
            expect(expected.text.startsWith(text)).toBe(true);
            return;
          }
          expect(stream.finish).toBe(expected.finish);
          expect(text).toBe(expected.text);
        },
      ),
      {
        numRuns: 2_000,
        seed: 11,
        // 'b' completes before 'ab\n', which starts earlier, within one token's text: it stops at 'b'.
        examples: [[[0, 12], { maxTokens: 5, eosSequences: [], stopStrings: ['ab\n', 'b'] }]],
      },
    );
  });

  it('refuses a token after it finished', () => {
    const stream = new TextStream(detokenize, { maxTokens: 1, eosSequences: [], stopStrings: [] });
    expect(stream.push(0)).toBe('a');
    expect(stream.finish).toBe('max-tokens');
    expect(() => stream.push(0)).toThrow('TextStream: generation has finished');
  });
});
