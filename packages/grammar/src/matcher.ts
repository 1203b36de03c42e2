/**
 * `inferlib:grammar/matcher`: constraints compiled to grammars, and matchers that follow a text through
 * one, byte by byte (a token's bytes may end inside a UTF-8 character), saying which candidates may come
 * next, what must come next, and whether the text is complete.
 */
import type { Constraint, Forced } from 'inferlib:grammar/matcher';
import { utf8Sequence } from '@inferlib/support';
import { Automaton } from './automaton.ts';
import { enter, type GrammarNode, offer, type Reader, Sink } from './grammar.ts';
import { anyJsonValue, compileJsonSchema, trieOf } from './json-schema.ts';
import { productiveGrammar } from './productive.ts';
import { parseRegex } from './regex.ts';

const iface = 'inferlib:grammar/matcher';

/** More ways than this to read one text means a constraint too ambiguous to follow (nested anyOf). */
const maxReaders = 4096;
/** The longest forced continuation one call gives. */
const maxForced = 4096;

function compileConstraint(constraint: Constraint): GrammarNode {
  switch (constraint.tag) {
    case 'json-schema':
      return compileJsonSchema(constraint.val);
    case 'json':
      return anyJsonValue();
    case 'regex':
      return { kind: 'text', automaton: new Automaton(parseRegex(constraint.val)) };
    case 'choice':
      if (constraint.val.length === 0) throw new Error('the list is empty, so nothing could match');
      return { kind: 'literals', trie: trieOf(constraint.val) };
  }
}

/** The grammar of `constraint`, or an error naming the kind of constraint and what is wrong. */
function grammarOf(constraint: Constraint): GrammarNode {
  let node: GrammarNode;
  try {
    node = compileConstraint(constraint);
  } catch (error) {
    throw new Error(`${constraint.tag}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const productive = productiveGrammar(node);
  if (productive === undefined) throw new Error(`${constraint.tag}: no text matches the constraint`);
  return productive;
}

/**
 * The grammar of `constraint`; its error is thrown as the `err` of the WIT's `result` is, as its text (so the
 * one engine and a composition see the same).
 */
function compiled(constraint: Constraint): GrammarNode {
  try {
    return grammarOf(constraint);
  } catch (error) {
    throw error instanceof Error ? error.message : String(error);
  }
}

/** Ok, or the error that compiling `constraint` gives (thrown as its text). */
export function check(constraint: Constraint): void {
  compiled(constraint);
}

/** Grammars compiled lately, by constraint: a schema used again keeps its automata's states warm. */
const recentGrammars = new Map<string, GrammarNode>();
const recentGrammarsKept = 64;

export class Grammar {
  readonly #root: GrammarNode;

  private constructor(root: GrammarNode) {
    this.#root = root;
  }

  static compile(constraint: Constraint): Grammar {
    const key = `${constraint.tag}\u0000${'val' in constraint ? JSON.stringify(constraint.val) : ''}`;
    let root = recentGrammars.get(key);
    if (root === undefined) {
      root = compiled(constraint);
      if (recentGrammars.size >= recentGrammarsKept) {
        recentGrammars.delete(recentGrammars.keys().next().value as string);
      }
    } else {
      recentGrammars.delete(key);
    }
    recentGrammars.set(key, root);
    return new Grammar(root);
  }

  matcher(): Matcher {
    const sink = new Sink();
    enter(this.#root, undefined, sink);
    return new Matcher({ readers: sink.readers, ended: sink.ended, partial: [] });
  }

  [Symbol.dispose](): void {
    // Nothing held but memory.
  }
}

/** The code points of complete characters in `bytes` after `partial`, and the bytes of one left incomplete. */
interface Decoded {
  readonly codePoints: number[];
  readonly partial: number[];
}

/** The code point of a whole sequence, or the lowest/highest one a partial sequence can still become. */
function codePointOf(bytes: readonly number[], fill: 'low' | 'high'): number {
  const lead = bytes[0] as number;
  const sequence = utf8Sequence(lead);
  if (sequence === undefined) return lead;
  let codePoint = lead & (0xff >> (sequence.length + 1));
  for (let index = 1; index < sequence.length; index++) {
    let byte = bytes[index];
    if (byte === undefined) {
      const [low, high] = index === 1 ? [sequence.secondLow, sequence.secondHigh] : [0x80, 0xbf];
      byte = fill === 'low' ? low : high;
    }
    codePoint = (codePoint << 6) | (byte & 0x3f);
  }
  return codePoint;
}

function decode(partial: readonly number[], bytes: ArrayLike<number>): Decoded | undefined {
  const codePoints: number[] = [];
  let pending = [...partial];
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index] as number;
    if (pending.length === 0) {
      if (byte < 0x80) codePoints.push(byte);
      else if (utf8Sequence(byte) === undefined) return undefined;
      else pending = [byte];
      continue;
    }
    const sequence = utf8Sequence(pending[0] as number) as NonNullable<ReturnType<typeof utf8Sequence>>;
    const [low, high] = pending.length === 1 ? [sequence.secondLow, sequence.secondHigh] : [0x80, 0xbf];
    if (byte < low || byte > high) return undefined;
    pending.push(byte);
    if (pending.length === sequence.length) {
      codePoints.push(codePointOf(pending, 'low'));
      pending = [];
    }
  }
  return { codePoints, partial: pending };
}

/** The readers after `codePoint`, and whether the text may end there. */
function step(readers: readonly Reader[], codePoint: number): Sink {
  const sink = new Sink();
  for (const reader of readers) {
    const next = reader.read(codePoint);
    if (next !== undefined) offer(next, sink);
  }
  if (sink.readers.length > maxReaders) {
    throw new Error(
      `${iface}: the constraint is too ambiguous here (over ${maxReaders} ways to read the text)`,
    );
  }
  return sink;
}

/** Where a text stands: the readers of its next character, whether it may end, a character's first bytes. */
interface State {
  readonly readers: readonly Reader[];
  readonly ended: boolean;
  readonly partial: readonly number[];
}

/** The state after `bytes`, or `undefined` when the text would no longer be the start of a match. */
function advance(state: State, bytes: ArrayLike<number>): State | undefined {
  const decoded = decode(state.partial, bytes);
  if (decoded === undefined) return undefined;
  let { readers, ended } = state;
  for (const codePoint of decoded.codePoints) {
    const sink = step(readers, codePoint);
    readers = sink.readers;
    ended = sink.ended;
    if (readers.length === 0 && !ended) return undefined;
  }
  if (decoded.partial.length > 0) {
    const low = codePointOf(decoded.partial, 'low');
    const high = codePointOf(decoded.partial, 'high');
    if (!readers.some((reader) => reader.readsSomeIn(low, high))) return undefined;
    ended = false;
  }
  return { readers, ended, partial: decoded.partial };
}

/** The state after the first `length` bytes of `bytes`, found once per such prefix in `memo`. */
function afterPrefix(
  memo: Map<number, State | undefined>,
  from: State,
  bytes: Uint8Array,
  length: 1 | 2,
): State | undefined {
  const key = length === 1 ? (bytes[0] as number) : ((bytes[0] as number) << 8) | (bytes[1] as number);
  if (memo.has(key)) return memo.get(key);
  const state = advance(from, bytes.subarray(length - 1, length));
  memo.set(key, state);
  return state;
}

export class Matcher {
  #state: State;

  constructor(state: State) {
    this.#state = state;
  }

  /** Appends a token's bytes; `false` (and nothing changes) when the text would no longer match. */
  advanceBytes(bytes: Uint8Array): boolean {
    const after = advance(this.#state, bytes);
    if (after === undefined) return false;
    this.#state = after;
    return true;
  }

  advanceText(text: string): boolean {
    return this.advanceBytes(new TextEncoder().encode(text));
  }

  /** Whether each candidate's bytes may come next. An empty candidate adds nothing: it is refused. */
  allows(candidates: readonly Uint8Array[]): boolean[] {
    // Candidates share their first bytes (a vocabulary's tokens mostly start with a space or a letter), and
    // where the text is narrow most fail there: the state after each first byte and each first two bytes is
    // found once.
    const afterOne = new Map<number, State | undefined>();
    const afterTwo = new Map<number, State | undefined>();
    return candidates.map((bytes) => {
      if (bytes.length === 0) return false;
      const one = afterPrefix(afterOne, this.#state, bytes, 1);
      if (one === undefined || bytes.length === 1) return one !== undefined;
      const two = afterPrefix(afterTwo, one, bytes, 2);
      return two !== undefined && (bytes.length === 2 || advance(two, bytes.subarray(2)) !== undefined);
    });
  }

  /**
   * The text every match goes on with from here, as far as it is the only way on (`""` when there is a
   * choice, the text may end here, or a character is incomplete), and whether it ends the text: a whole match
   * that nothing may follow.
   */
  forced(): Forced {
    if (this.#state.partial.length > 0) return { text: '', ends: false };
    let { readers, ended } = this.#state;
    let text = '';
    while (!ended && readers.length > 0 && text.length < maxForced) {
      const only = readers[0]?.onlyNext() ?? -1;
      if (only === -1 || readers.some((reader) => reader.onlyNext() !== only)) break;
      text += String.fromCodePoint(only);
      const sink = step(readers, only);
      readers = sink.readers;
      ended = sink.ended;
    }
    return { text, ends: ended && readers.length === 0 };
  }

  /** Whether the text so far is a whole match. */
  isComplete(): boolean {
    return this.#state.ended && this.#state.partial.length === 0;
  }

  /** Whether anything may still be appended. */
  canContinue(): boolean {
    return this.#state.readers.length > 0;
  }

  fork(): Matcher {
    return new Matcher(this.#state);
  }

  [Symbol.dispose](): void {
    // Nothing held but memory.
  }
}
