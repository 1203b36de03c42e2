/**
 * Texts a matcher allows, found by walking it: random characters from an alphabet, taken where the matcher
 * allows them, with the forced continuation followed, leaning towards closing as the text grows.
 */
import type { Matcher } from '../src/index.ts';

const encoder = new TextEncoder();

/** What JSON and the tested patterns are written with; closing characters first. */
export const closingFirst = ['"', '}', ']', '0', '1', 'a', 'Z', ' '];
export const alphabet = [
  ...closingFirst,
  ...'{[,:-.+eE123456789bcdfghijklmnopqrstuvwxyzAB_@\\/\t\n!#%&()*;<=>?|~',
  'é',
  'Ω',
  '中',
  '😀',
  '": ',
  ', "',
  'true',
  'false',
  'null',
];

const closers = ['"', '}', ']'].map((piece) => encoder.encode(piece));

/**
 * A choice that heads for the end: one that completes the text; else a quote (it only ever opens or ends a
 * string); else, half the time each (so that text a closing character may extend still ends), one after
 * which a quote or a closing character may come, or a closing character; else any.
 */
function closingChoice(matcher: Matcher, choices: readonly string[], random: Random): string | undefined {
  const after = (piece: string) => {
    const ahead = matcher.fork();
    ahead.advanceText(piece);
    return ahead;
  };
  return (
    choices.find((piece) => after(piece).isComplete()) ??
    choices.find((piece) => piece === '"') ??
    (random.below(2) === 0
      ? choices.find((piece) => after(piece).allows(closers).some(Boolean))
      : undefined) ??
    (random.below(2) === 0 ? choices.find((piece) => closingFirst.slice(0, 3).includes(piece)) : undefined) ??
    choices[random.below(choices.length)]
  );
}

export interface Random {
  /** A whole number in [0, n). */
  below(n: number): number;
}

/** A seeded generator (mulberry32). */
export function seeded(seed: number): Random {
  let state = seed >>> 0;
  return {
    below(n: number): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let value = Math.imul(state ^ (state >>> 15), 1 | state);
      value ^= value + Math.imul(value ^ (value >>> 7), 61 | value);
      return Math.floor((((value ^ (value >>> 14)) >>> 0) / 2 ** 32) * n);
    },
  };
}

/**
 * Extends `matcher` (in place) by up to `steps` pieces; stops once complete with probability `stopChance`
 * per step. Returns the text added and whether the matcher is complete.
 */
export function walk(
  matcher: Matcher,
  random: Random,
  steps: number,
  stopChance = 0.2,
): { text: string; complete: boolean } {
  let text = '';
  for (let step = 0; step < steps; step++) {
    if (matcher.isComplete() && (!matcher.canContinue() || random.below(1000) < stopChance * 1000)) break;
    const forced = matcher.forced().text;
    if (forced !== '') {
      if (!matcher.advanceText(forced))
        throw new Error(`the forced text ${JSON.stringify(forced)} was refused`);
      text += forced;
      continue;
    }
    // Closing characters are tried first more often as the text grows.
    const closing = random.below(steps) < step * 2;
    const pieces = closing ? [...closingFirst, ...alphabet] : alphabet;
    const allowed = matcher.allows(pieces.map((piece) => encoder.encode(piece)));
    const choices = pieces.filter((_, index) => allowed[index]);
    if (choices.length === 0) break;
    const choice = closing ? closingChoice(matcher, choices, random) : choices[random.below(choices.length)];
    if (choice === undefined) break;
    if (!matcher.advanceText(choice)) throw new Error(`${JSON.stringify(choice)} was allowed, then refused`);
    text += choice;
  }
  return { text, complete: matcher.isComplete() };
}

/**
 * A completion of `matcher` (left as it is): the first of closing walks on copies of it that completes, or
 * `undefined` when none does. A walk may take 2,000 pieces: nested arrays of emails typed a random character
 * at a time (`}` is allowed in an email's local part, and closing walks lean on it) ran past 400 in 14 of 50
 * walks from `[`, and the structured-generation property failed on such a cut text.
 */
export function completion(matcher: Matcher, random: Random, attempts = 30): string | undefined {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const copy = matcher.fork();
    const { text, complete } = walk(copy, random, 2000, 1);
    if (complete) return text;
  }
  return undefined;
}
