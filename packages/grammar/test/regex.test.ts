import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Automaton, type DfaState } from '../src/automaton.ts';
import { check, Grammar } from '../src/index.ts';
import { parseRegex } from '../src/regex.ts';
import { seeded } from './walk.ts';

/** Regular expressions over a small alphabet, with every construct the grammar reads. */
const regexSource = fc.letrec<{ atom: string; term: string; sequence: string; alternatives: string }>(
  (tie) => ({
    atom: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom('a', 'b', 'c', 'é', '😀', '\\.', '\\u{1F600}', '\\x61', '\\u0062'),
      },
      {
        weight: 3,
        arbitrary: fc.constantFrom('.', '[ab]', '[^a]', '[a-c]', '\\d', '\\w', '\\s', '[\\d.]', '\\D'),
      },
      { weight: 1, arbitrary: tie('alternatives').map((inner) => `(${inner})`) },
      { weight: 1, arbitrary: tie('alternatives').map((inner) => `(?:${inner})`) },
      { weight: 1, arbitrary: tie('alternatives').map((inner) => `(?<name>${inner})`) },
    ),
    term: fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .tuple(tie('atom'), fc.constantFrom('', '', '*', '+', '?', '{2}', '{1,3}', '{0,}', '*?', '{0}'))
          .map(([atom, quantifier]) => atom + quantifier),
      },
      { weight: 1, arbitrary: fc.constantFrom('^', '$') },
    ),
    sequence: fc.array(tie('term'), { maxLength: 4 }).map((terms) => terms.join('')),
    alternatives: fc
      .array(tie('sequence'), { minLength: 1, maxLength: 3 })
      .map((options) => options.join('|')),
  }),
);
/** A group name may be used once (ES2025 allows it again in other alternatives; Node 20 does not). */
const pattern = regexSource.alternatives.filter((source) => source.split('(?<name>').length <= 2);

const textUnits = ['a', 'b', 'c', 'é', '😀', '.', '1', '_', ' ', '\n'];
const text = fc.string({ unit: fc.constantFrom(...textUnits), maxLength: 8 });

/** The grammar of `source`; `undefined` when nothing matches it (checked against the engine by the caller). */
function compiled(source: string): Grammar | undefined {
  try {
    return Grammar.compile({ tag: 'regex', val: source });
  } catch (error) {
    if (error === 'regex: no text matches the constraint') return undefined;
    throw error;
  }
}

/** The shortest text from `start` to an accepting state, by breadth-first search. */
function shortestMatch(start: DfaState): string | undefined {
  const paths = new Map<DfaState, string>([[start, '']]);
  const queue = [start];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    const path = paths.get(state) as string;
    if (state.accepting) return path;
    for (const [next, codePoint] of state.transitions()) {
      if (paths.has(next)) continue;
      paths.set(next, path + String.fromCodePoint(codePoint));
      queue.push(next);
    }
  }
  return undefined;
}

const matchesWhole = (source: string, value: string): boolean =>
  new RegExp(`^(?:${source})$`, 'u').test(value);

describe('regex constraints against the JavaScript engine', () => {
  it('accept exactly the texts RegExp matches whole, and every prefix of those', () => {
    fc.assert(
      fc.property(pattern, fc.array(text, { maxLength: 6 }), (source, texts) => {
        const grammar = compiled(source);
        if (grammar === undefined) {
          for (const value of texts) expect(matchesWhole(source, value)).toBe(false);
          return;
        }
        for (const value of texts) {
          const matcher = grammar.matcher();
          const read = matcher.advanceText(value);
          const expected = matchesWhole(source, value);
          expect(read && matcher.isComplete(), `${JSON.stringify(value)} against /${source}/`).toBe(expected);
          if (expected) {
            // Every prefix of a match is allowed, character by character.
            const prefix = grammar.matcher();
            for (const char of value) expect(prefix.advanceText(char)).toBe(true);
          }
        }
      }),
      { numRuns: 600 },
    );
  });

  it('can complete every prefix they allow, as the engine agrees', () => {
    fc.assert(
      fc.property(pattern, fc.integer(), (source, seed) => {
        if (compiled(source) === undefined) return;
        const automaton = new Automaton(parseRegex(source));
        const random = seeded(seed);
        // A random walk through the automaton's live states, then the shortest way from there to a match.
        let state = automaton.initial as DfaState;
        let prefix = '';
        for (let step = random.below(8); step > 0; step--) {
          const options = [...state.transitions()];
          if (options.length === 0) break;
          const [next, codePoint] = options[random.below(options.length)] as [DfaState, number];
          state = next;
          prefix += String.fromCodePoint(codePoint);
        }
        const rest = shortestMatch(state);
        expect(rest, `no completion of ${JSON.stringify(prefix)} for /${source}/`).toBeDefined();
        expect(matchesWhole(source, prefix + rest)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('judge a character split across tokens by its bytes', () => {
    const matcher = Grammar.compile({ tag: 'regex', val: 'é+' }).matcher();
    const [first, second] = new TextEncoder().encode('é');
    expect(matcher.allows([Uint8Array.of(first ?? 0)])).toEqual([true]);
    // 0xC3 0xA0 is "à", which the class refuses; a lead byte of another range never fits.
    expect(matcher.allows([Uint8Array.of(0xc3, 0xa0), Uint8Array.of(0xe4), Uint8Array.of(0xff)])).toEqual([
      false,
      false,
      false,
    ]);
    expect(matcher.advanceBytes(Uint8Array.of(first ?? 0))).toBe(true);
    expect(matcher.isComplete()).toBe(false);
    expect(matcher.forced().text).toBe('');
    expect(matcher.advanceBytes(Uint8Array.of(second ?? 0))).toBe(true);
    expect(matcher.isComplete()).toBe(true);
  });

  it('refuse what the engine refuses, and what no regular language of the text expresses, by position', () => {
    const error = (source: string) => {
      try {
        check({ tag: 'regex', val: source });
        return 'accepted';
      } catch (thrown) {
        return String(thrown);
      }
    };
    expect(error('a(')).toMatch(/^regex: invalid regular expression: .*Unterminated group/);
    expect(error('a{2,1}')).toMatch(/^regex: invalid regular expression/);
    expect(error('ab(?=c)')).toBe(
      'regex: the group (?= at position 2 is not supported (no regular language of the text alone)',
    );
    expect(error('(a)\\1')).toMatch(/^regex: a backreference at position 3 is not supported/);
    expect(error('a\\bc')).toMatch(/^regex: the word boundary \\b at position 1/);
    expect(error('\\p{L}')).toMatch(/^regex: the Unicode property class \\p\{…\} at position 0/);
    expect(error('a^b')).toBe('regex: no text matches the constraint');
    expect(error('[^\\s\\S]')).toBe('regex: no text matches the constraint');
  });

  it('force what only one way leads on with', () => {
    const matcher = Grammar.compile({ tag: 'regex', val: 'hello (world|there)!' }).matcher();
    expect(matcher.forced().text).toBe('hello ');
    matcher.advanceText('hello t');
    expect(matcher.forced()).toEqual({ text: 'here!', ends: true });
    matcher.advanceText('here!');
    expect([matcher.isComplete(), matcher.canContinue(), matcher.forced().text]).toEqual([true, false, '']);
  });
});
