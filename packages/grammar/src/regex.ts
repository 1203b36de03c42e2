/**
 * ECMAScript regular expressions (Unicode mode, as `new RegExp(source, 'u')` reads them) parsed into the
 * language they describe. The JS engine judges the syntax first, so a pattern is refused with the engine's
 * own message exactly when the engine refuses it; what parses but describes no regular language of the text
 * alone (lookaround, backreferences, word boundaries, Unicode property classes) is refused here by position.
 */
import { type CharSet, complement, emptySet, fromRanges, fromString, single, union } from './charset.ts';

export type RegexNode =
  | { readonly kind: 'chars'; readonly set: CharSet }
  | { readonly kind: 'sequence'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'alternatives'; readonly options: readonly RegexNode[] }
  /** `max` is `Infinity` for an unbounded repetition. */
  | { readonly kind: 'repeat'; readonly item: RegexNode; readonly min: number; readonly max: number }
  /** `^` and `$`: without the `m` flag, the start and the end of the text. */
  | { readonly kind: 'start' }
  | { readonly kind: 'end' };

export const digitChars: CharSet = fromRanges([[0x30, 0x39]]);
export const wordChars: CharSet = fromRanges([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
/** `\s`: ECMAScript's WhiteSpace and LineTerminator. */
export const spaceChars: CharSet = fromRanges([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);
/** `.` without the `s` flag: anything but a line terminator. */
export const dotChars: CharSet = complement(fromString('\n\r\u2028\u2029'));

/** A syntax the engine accepts but the grammar cannot express. */
export class UnsupportedRegex extends Error {
  constructor(
    readonly feature: string,
    readonly position: number,
  ) {
    super(`${feature} at position ${position} is not supported (no regular language of the text alone)`);
  }
}

const syntaxCharacters = '^$\\.*+?()[]{}|/';
const controlEscapes: Record<string, number> = { f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b };

const isHexDigit = (char: string | undefined): boolean => char !== undefined && /^[0-9a-fA-F]$/.test(char);
const isDigit = (char: string | undefined): boolean => char !== undefined && char >= '0' && char <= '9';

/** Parses `source`, which the engine has accepted in Unicode mode. */
class Parser {
  readonly #chars: readonly string[];
  #at = 0;

  constructor(source: string) {
    // Unicode mode reads the pattern by code points.
    this.#chars = [...source];
  }

  parse(): RegexNode {
    const node = this.#disjunction();
    if (this.#at < this.#chars.length) throw new Error(`unexpected ${this.#peek()} at position ${this.#at}`);
    return node;
  }

  #peek(offset = 0): string | undefined {
    return this.#chars[this.#at + offset];
  }

  #take(): string {
    const char = this.#chars[this.#at++];
    if (char === undefined) throw new Error('unexpected end of the pattern');
    return char;
  }

  #disjunction(): RegexNode {
    const options = [this.#alternative()];
    while (this.#peek() === '|') {
      this.#at++;
      options.push(this.#alternative());
    }
    return options.length === 1 ? (options[0] as RegexNode) : { kind: 'alternatives', options };
  }

  #alternative(): RegexNode {
    const items: RegexNode[] = [];
    for (let char = this.#peek(); char !== undefined && char !== '|' && char !== ')'; char = this.#peek()) {
      items.push(this.#term());
    }
    return items.length === 1 ? (items[0] as RegexNode) : { kind: 'sequence', items };
  }

  #term(): RegexNode {
    const start = this.#at;
    const char = this.#take();
    if (char === '^') return { kind: 'start' };
    if (char === '$') return { kind: 'end' };
    let atom: RegexNode;
    if (char === '(') atom = this.#group(start);
    else if (char === '.') atom = { kind: 'chars', set: dotChars };
    else if (char === '[') atom = { kind: 'chars', set: this.#characterClass() };
    else if (char === '\\') atom = this.#atomEscape(start);
    else atom = { kind: 'chars', set: single(char.codePointAt(0) ?? 0) };
    return this.#quantified(atom);
  }

  #group(start: number): RegexNode {
    if (this.#peek() === '?') {
      const kind = this.#peek(1);
      if (kind === ':') {
        this.#at += 2;
      } else if (kind === '<' && this.#peek(2) !== '=' && this.#peek(2) !== '!') {
        // A named group: its name does not change the language.
        while (this.#take() !== '>');
      } else {
        const lookaround = kind === '<' ? `(?<${this.#peek(2)}` : `(?${kind}`;
        throw new UnsupportedRegex(`the group ${lookaround}`, start);
      }
    }
    const inner = this.#disjunction();
    this.#take(); // ')'
    return inner;
  }

  #quantified(atom: RegexNode): RegexNode {
    const char = this.#peek();
    let min: number;
    let max: number;
    if (char === '*') [min, max] = [0, Infinity];
    else if (char === '+') [min, max] = [1, Infinity];
    else if (char === '?') [min, max] = [0, 1];
    else if (char === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.#chars.slice(this.#at, this.#at + 64).join(''));
      if (match === null) return atom;
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
      this.#at += match[0].length - 1;
    } else {
      return atom;
    }
    this.#at++;
    // A lazy quantifier matches the same texts.
    if (this.#peek() === '?') this.#at++;
    return { kind: 'repeat', item: atom, min, max };
  }

  #atomEscape(start: number): RegexNode {
    const char = this.#peek();
    if (char === 'b' || char === 'B') throw new UnsupportedRegex(`the word boundary \\${char}`, start);
    if ((isDigit(char) && char !== '0') || char === 'k') {
      throw new UnsupportedRegex('a backreference', start);
    }
    return { kind: 'chars', set: this.#escape(start, false) };
  }

  /** The characters of an escape after its `\`, in a class (`\b` is a backspace there) or not. */
  #escape(start: number, inClass: boolean): CharSet {
    const char = this.#take();
    switch (char) {
      case 'd':
        return digitChars;
      case 'D':
        return complement(digitChars);
      case 'w':
        return wordChars;
      case 'W':
        return complement(wordChars);
      case 's':
        return spaceChars;
      case 'S':
        return complement(spaceChars);
      case 'p':
      case 'P':
        throw new UnsupportedRegex(`the Unicode property class \\${char}{…}`, start);
    }
    return single(this.#characterEscape(char, inClass));
  }

  #characterEscape(char: string, inClass: boolean): number {
    const control = controlEscapes[char];
    if (control !== undefined) return control;
    if (char === 'b' && inClass) return 0x08;
    if (char === '-' && inClass) return 0x2d;
    if (char === '0') return 0;
    if (char === 'c') return this.#take().toUpperCase().charCodeAt(0) % 32;
    if (char === 'x') return Number.parseInt(this.#take() + this.#take(), 16);
    if (char === 'u') {
      if (this.#peek() === '{') {
        this.#at++;
        let hex = '';
        while (this.#peek() !== '}') hex += this.#take();
        this.#at++;
        return Number.parseInt(hex, 16);
      }
      const unit = this.#hex4();
      // A surrogate pair written as two escapes is one code point in Unicode mode.
      if (unit >= 0xd800 && unit <= 0xdbff && this.#peek() === '\\' && this.#peek(1) === 'u') {
        const saved = this.#at;
        this.#at += 2;
        if (isHexDigit(this.#peek())) {
          const low = this.#hex4();
          if (low >= 0xdc00 && low <= 0xdfff) return 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
        }
        this.#at = saved;
      }
      return unit;
    }
    if (syntaxCharacters.includes(char)) return char.codePointAt(0) ?? 0;
    throw new Error(`the escape \\${char} at position ${this.#at - 2} (the engine accepted it)`);
  }

  #hex4(): number {
    return Number.parseInt(this.#take() + this.#take() + this.#take() + this.#take(), 16);
  }

  /** A class after its `[`, through its `]`. */
  #characterClass(): CharSet {
    const negated = this.#peek() === '^';
    if (negated) this.#at++;
    const parts: CharSet[] = [];
    while (this.#peek() !== ']') {
      const low = this.#classAtom();
      if (this.#peek() === '-' && this.#peek(1) !== ']' && this.#peek(1) !== undefined) {
        this.#at++;
        const high = this.#classAtom();
        // Unicode mode refuses a range with a class escape end, so both ends are single characters.
        parts.push(fromRanges([[low[0] ?? 0, high[0] ?? 0]]));
      } else {
        parts.push(low);
      }
    }
    this.#at++;
    const set = parts.length === 0 ? emptySet : union(...parts);
    return negated ? complement(set) : set;
  }

  #classAtom(): CharSet {
    const start = this.#at;
    const char = this.#take();
    return char === '\\' ? this.#escape(start, true) : single(char.codePointAt(0) ?? 0);
  }
}

/** The language of `source`, or an error: the engine's syntax error, or an unsupported feature. */
export function parseRegex(source: string): RegexNode {
  try {
    new RegExp(source, 'u');
  } catch (error) {
    throw new Error(`invalid regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
  return new Parser(source).parse();
}
