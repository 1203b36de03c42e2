/**
 * The grammar a constraint compiles to, and how a text is read against it. A grammar is a graph of nodes;
 * reading keeps every way the text so far can be read (a *reader* per way: the node reading the next
 * character, on a stack of *steps*, what comes after it). Readers and steps never change: a new character
 * makes new ones, so a matcher forks for free and ways share what they have in common.
 *
 * Every reader the matcher holds is live: some continuation makes the whole text a match. Each node keeps
 * that for its own part (an automaton pruned to live states, bounds checked ahead, no empty choice), and
 * the compiler refuses a node that matches nothing.
 */
import type { Automaton, DfaState } from './automaton.ts';
import { type NumberRules, type NumberState, numberChars, numberStart, readNumber } from './numbers.ts';

/** A tree of texts by code point; `value` marks where a text ends (a property index for keys). */
export interface Trie {
  readonly children: ReadonlyMap<number, Trie>;
  readonly value: number | undefined;
}

export interface Property {
  readonly name: string;
  /** `"name"` as the grammar writes it, by code point. */
  readonly key: readonly number[];
  readonly value: GrammarNode;
  readonly required: boolean;
}

export type GrammarNode =
  | { readonly kind: 'literal'; readonly text: readonly number[] }
  | { readonly kind: 'literals'; readonly trie: Trie }
  | { readonly kind: 'sequence'; readonly items: readonly GrammarNode[] }
  | { readonly kind: 'alternatives'; readonly options: readonly GrammarNode[] }
  /** A node defined later (recursion): `target.node` is set once it is compiled. */
  | { readonly kind: 'reference'; readonly target: { node: GrammarNode | undefined } }
  /** Text of a regular language, as it is. */
  | { readonly kind: 'text'; readonly automaton: Automaton }
  | {
      readonly kind: 'string';
      /** What the decoded content must match; `undefined` for any content. */
      readonly content: Automaton | undefined;
      readonly minLength: number;
      readonly maxLength: number;
    }
  | { readonly kind: 'number'; readonly rules: NumberRules }
  | {
      readonly kind: 'array';
      readonly prefix: readonly GrammarNode[];
      /** Items after the prefix; `undefined` when none may follow it. */
      readonly items: GrammarNode | undefined;
      readonly minItems: number;
      readonly maxItems: number;
    }
  | {
      readonly kind: 'object';
      /** Written in this order; any but the required may be left out. */
      readonly properties: readonly Property[];
      /** The value of a property not listed, which may follow the listed ones; `undefined`: none may. */
      readonly additional: GrammarNode | undefined;
      /** Names no extra property may have besides the listed ones (properties no value is valid for). */
      readonly excluded: readonly string[];
      /** A trie of the keys of `properties[i…j]` for each i ≤ j, made when first needed. */
      readonly keyTries: Map<string, Trie>;
    };

/** JSON's separators as the grammar writes them: one line, as Python's `json.dumps` does by default. */
export const separators = { item: ', ', key: ': ' } as const;

export const codePoints = (text: string): number[] => [...text].map((char) => char.codePointAt(0) ?? 0);

/** Where readers go as a character is read: the live readers, and whether the whole text may end here. */
export class Sink {
  readonly readers: Reader[] = [];
  ended = false;
  /**
   * The steps gone on with here, by the value they got: ways that end together (overlapping `anyOf`
   * options) go on as one, or each item of an array of them would double the ways.
   */
  readonly #resumed = new Map<Step, (number | string | undefined)[]>();

  /** Whether `after` goes on here with `value` for the first time (and notes that it does). */
  firstResume(after: Step, value: number | string | undefined): boolean {
    const values = this.#resumed.get(after);
    if (values === undefined) {
      this.#resumed.set(after, [value]);
      return true;
    }
    if (values.includes(value)) return false;
    values.push(value);
    return true;
  }
}

/** What comes after a node: it continues when the node ends, with the node's value (a key's property). */
export interface Step {
  resume(sink: Sink, value: number | string | undefined): void;
}

/** A node reading characters. */
export interface Reader {
  readonly after: Step | undefined;
  /** Whether some character may be read. */
  readonly canRead: boolean;
  /** Whether the node may end here (its `after` then goes on). */
  readonly canEnd: boolean;
  /** The value the node ends with (a key's property index, an extra key's name). */
  readonly value?: number | string | undefined;
  read(codePoint: number): Reader | undefined;
  /** Whether some code point in `[low, high]` may be read (a character whose UTF-8 is not complete yet). */
  readsSomeIn(low: number, high: number): boolean;
  /** The one code point that may be read next, or -1 when several or none may. */
  onlyNext(): number;
}

function finish(after: Step | undefined, sink: Sink, value: number | string | undefined): void {
  if (after === undefined) sink.ended = true;
  else if (sink.firstResume(after, value)) after.resume(sink, value);
}

/** Puts a reader where it belongs: in the sink if it may read, and its `after` going on if it may end. */
export function offer(reader: Reader, sink: Sink): void {
  if (reader.canRead) sink.readers.push(reader);
  if (reader.canEnd) finish(reader.after, sink, reader.value);
}

/** The readers at the start of `node`, with `after` going on once it ends. */
export function enter(node: GrammarNode, after: Step | undefined, sink: Sink): void {
  switch (node.kind) {
    case 'literal':
      offer(new LiteralReader(node.text, 0, after), sink);
      return;
    case 'literals':
      offer(new TrieReader(node.trie, after), sink);
      return;
    case 'sequence':
      new SequenceStep(node.items, -1, after).resume(sink);
      return;
    case 'alternatives':
      for (const option of node.options) enter(option, after, sink);
      return;
    case 'reference':
      if (node.target.node === undefined) throw new Error('grammar: a reference was never defined');
      enter(node.target.node, after, sink);
      return;
    case 'text':
      if (node.automaton.initial !== null) offer(new TextReader(node.automaton.initial, after), sink);
      return;
    case 'string':
      offer(StringReader.open(node, after), sink);
      return;
    case 'number':
      offer(new NumberReader(node.rules, numberStart, after), sink);
      return;
    case 'array':
      enter(literal('['), new ArrayStep(node, 0, 'opened', after), sink);
      return;
    case 'object':
      enter(literal('{'), new ObjectStep(node, 0, 'opened', [], undefined, after), sink);
      return;
  }
}

export const literal = (text: string): GrammarNode => ({ kind: 'literal', text: codePoints(text) });

class LiteralReader implements Reader {
  constructor(
    readonly text: readonly number[],
    readonly at: number,
    readonly after: Step | undefined,
  ) {}

  get canRead(): boolean {
    return this.at < this.text.length;
  }

  get canEnd(): boolean {
    return this.at === this.text.length;
  }

  read(codePoint: number): Reader | undefined {
    return this.text[this.at] === codePoint
      ? new LiteralReader(this.text, this.at + 1, this.after)
      : undefined;
  }

  readsSomeIn(low: number, high: number): boolean {
    const next = this.text[this.at];
    return next !== undefined && next >= low && next <= high;
  }

  onlyNext(): number {
    return this.text[this.at] ?? -1;
  }
}

class TrieReader implements Reader {
  constructor(
    readonly trie: Trie,
    readonly after: Step | undefined,
  ) {}

  get canRead(): boolean {
    return this.trie.children.size > 0;
  }

  get canEnd(): boolean {
    return this.trie.value !== undefined;
  }

  get value(): number | undefined {
    return this.trie.value;
  }

  read(codePoint: number): Reader | undefined {
    const child = this.trie.children.get(codePoint);
    return child === undefined ? undefined : new TrieReader(child, this.after);
  }

  readsSomeIn(low: number, high: number): boolean {
    for (const codePoint of this.trie.children.keys()) if (codePoint >= low && codePoint <= high) return true;
    return false;
  }

  onlyNext(): number {
    if (this.trie.children.size !== 1) return -1;
    return this.trie.children.keys().next().value ?? -1;
  }
}

class TextReader implements Reader {
  constructor(
    readonly state: DfaState,
    readonly after: Step | undefined,
  ) {}

  get canRead(): boolean {
    return this.state.canRead;
  }

  get canEnd(): boolean {
    return this.state.accepting;
  }

  read(codePoint: number): Reader | undefined {
    const next = this.state.next(codePoint);
    return next === null ? undefined : new TextReader(next, this.after);
  }

  readsSomeIn(low: number, high: number): boolean {
    return this.state.someNextIn(low, high, () => true);
  }

  onlyNext(): number {
    return this.state.onlyNext();
  }
}

/** Short escapes, as `JSON.stringify` writes them: the escaped character by the letter after `\`. */
const shortEscapes = new Map<number, number>([
  [0x22, 0x22],
  [0x5c, 0x5c],
  [0x62, 0x08],
  [0x66, 0x0c],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
]);
const shortEscapeOf = new Map([...shortEscapes].map(([letter, char]) => [char, letter]));
const backslash = 0x5c;
const quote = 0x22;
const hexDigits = '0123456789abcdef';

/**
 * Whether `char` is written as an escape: `"`, `\` and the control characters, as `JSON.stringify` does.
 * The grammar writes every character one way only (the others as they are, never `\u` or `\/`), so a
 * string's text follows from its content and what must follow is known ahead.
 */
const escaped = (char: number): boolean => char < 0x20 || char === quote || char === backslash;

/** Whether string content of `length` characters, at `state`, can still be completed within its bounds. */
export function contentAlive(
  node: Extract<GrammarNode, { kind: 'string' }>,
  state: DfaState | undefined,
  length: number,
): boolean {
  const { minLength, maxLength, content } = node;
  if (length > maxLength) return false;
  if (state === undefined || content === undefined) return true;
  if (maxLength === Infinity && length >= minLength) return true;
  // With a bound, some accepting continuation must have a length in range; without an upper one, one of at
  // most `content.size` more than the least needed exists if any does (a longer one repeats an NFA state).
  const bound = maxLength === Infinity ? minLength + content.size : maxLength;
  const lengths = state.lengthsToAccept(bound);
  const most = maxLength === Infinity ? bound : maxLength - length;
  for (let more = Math.max(0, minLength - length); more <= most; more++) if (lengths[more] === 1) return true;
  return false;
}

type StringPhase = 'open' | 'content' | 'escape' | 'hex' | 'closed';

/**
 * A JSON string: `"`, the content as the grammar writes it, `"`. The content is decoded as it is read: its
 * characters go through the content automaton and are counted (code points, as JSON Schema counts).
 */
class StringReader implements Reader {
  constructor(
    readonly node: Extract<GrammarNode, { kind: 'string' }>,
    readonly phase: StringPhase,
    readonly state: DfaState | undefined,
    readonly length: number,
    /** In `hex`: the digits read and their value. */
    readonly hexCount: number,
    readonly hexValue: number,
    readonly after: Step | undefined,
    /** An object's extra key: the content so far, and the names it may not have. */
    readonly key: { readonly text: string; readonly taken: ReadonlySet<string> } | undefined = undefined,
  ) {}

  static open(
    node: Extract<GrammarNode, { kind: 'string' }>,
    after: Step | undefined,
    taken?: ReadonlySet<string>,
  ): StringReader {
    const key = taken === undefined ? undefined : { text: '', taken };
    return new StringReader(node, 'open', node.content?.initial ?? undefined, 0, 0, 0, after, key);
  }

  get canRead(): boolean {
    return this.phase !== 'closed';
  }

  get canEnd(): boolean {
    return this.phase === 'closed';
  }

  get value(): string | undefined {
    return this.key?.text;
  }

  #with(phase: StringPhase, hexCount = 0, hexValue = 0): StringReader {
    const { node, state, length, after, key } = this;
    return new StringReader(node, phase, state, length, hexCount, hexValue, after, key);
  }

  #alive(state: DfaState | undefined, length: number): boolean {
    return contentAlive(this.node, state, length);
  }

  /** Whether the content may take the decoded character `char`. */
  #mayTake(char: number): boolean {
    if (this.state === undefined) return this.length < this.node.maxLength;
    const next = this.state.next(char);
    return next !== null && this.#alive(next, this.length + 1);
  }

  /** The reader after the decoded character `char`, which `#mayTake` allowed. */
  #take(char: number): StringReader | undefined {
    if (!this.#mayTake(char)) return undefined;
    const next = this.state === undefined ? undefined : (this.state.next(char) as DfaState);
    const key =
      this.key === undefined ? undefined : { ...this.key, text: this.key.text + String.fromCodePoint(char) };
    return new StringReader(this.node, 'content', next, this.length + 1, 0, 0, this.after, key);
  }

  #mayClose(): boolean {
    const accepting = this.state === undefined || this.state.accepting;
    return accepting && this.length >= this.node.minLength && !(this.key?.taken.has(this.key.text) ?? false);
  }

  /** Characters written as `\u00XX`: the control characters without a short escape. */
  #uEscapable(char: number): boolean {
    return char < 0x20 && !shortEscapeOf.has(char) && this.#mayTake(char);
  }

  #someUEscapableIn(low: number, high: number): boolean {
    for (let char = low; char <= Math.min(high, 0x1f); char++) if (this.#uEscapable(char)) return true;
    return false;
  }

  read(codePoint: number): Reader | undefined {
    switch (this.phase) {
      case 'open':
        return codePoint === quote ? this.#with('content') : undefined;
      case 'content':
        if (codePoint === quote) return this.#mayClose() ? this.#with('closed') : undefined;
        if (codePoint === backslash) {
          const some = [...shortEscapes.values()].some((char) => this.#mayTake(char));
          return some || this.#someUEscapableIn(0, 0x1f) ? this.#with('escape') : undefined;
        }
        return escaped(codePoint) ? undefined : this.#take(codePoint);
      case 'escape': {
        if (codePoint === 0x75) return this.#someUEscapableIn(0, 0x1f) ? this.#with('hex') : undefined;
        const char = shortEscapes.get(codePoint);
        return char === undefined ? undefined : this.#take(char);
      }
      case 'hex': {
        const digit = hexDigits.indexOf(String.fromCodePoint(codePoint));
        if (digit === -1) return undefined;
        const value = this.hexValue * 16 + digit;
        const count = this.hexCount + 1;
        if (count === 4) return this.#uEscapable(value) ? this.#take(value) : undefined;
        const span = 16 ** (4 - count);
        return this.#someUEscapableIn(value * span, (value + 1) * span - 1)
          ? this.#with('hex', count, value)
          : undefined;
      }
      case 'closed':
        return undefined;
    }
  }

  readsSomeIn(low: number, high: number): boolean {
    // Only content reads characters beyond ASCII, each as it is (UTF-8 never spells a surrogate).
    if (this.phase !== 'content') return false;
    if (this.state === undefined) return this.length < this.node.maxLength;
    return this.state.someNextIn(Math.max(low, 0x80), high, (next) => this.#alive(next, this.length + 1));
  }

  onlyNext(): number {
    switch (this.phase) {
      case 'open':
        return quote;
      case 'closed':
        return -1;
      case 'content': {
        const closes = this.#mayClose();
        const char = this.state === undefined ? -1 : this.state.onlyNext();
        const takes = char !== -1 && this.#mayTake(char);
        // Content that may take several characters is not followed ahead.
        if (char === -1 && this.state?.canRead !== false && this.length < this.node.maxLength) return -1;
        if (takes === closes) return -1;
        if (closes) return quote;
        return escaped(char) ? backslash : char;
      }
      case 'escape':
        return this.#onlyOf([...shortEscapes.keys(), 0x75]);
      case 'hex':
        return this.#onlyOf(codePoints(hexDigits));
    }
  }

  /** The one of `candidates` that may be read, or -1. */
  #onlyOf(candidates: readonly number[]): number {
    let only = -1;
    for (const candidate of candidates) {
      if (this.read(candidate) === undefined) continue;
      if (only !== -1) return -1;
      only = candidate;
    }
    return only;
  }
}

class NumberReader implements Reader {
  #canRead: boolean | undefined;

  constructor(
    readonly rules: NumberRules,
    readonly state: NumberState,
    readonly after: Step | undefined,
  ) {}

  /** Whether a character may follow: not after the last digit a form allows. */
  get canRead(): boolean {
    this.#canRead ??= [...numberChars].some((char) => this.read(char.codePointAt(0) ?? 0) !== undefined);
    return this.#canRead;
  }

  get canEnd(): boolean {
    return this.rules.complete(this.state);
  }

  read(codePoint: number): Reader | undefined {
    const next = readNumber(this.rules, this.state, codePoint);
    if (next === undefined || !this.rules.feasible(next)) return undefined;
    return new NumberReader(this.rules, next, this.after);
  }

  readsSomeIn(): boolean {
    return false;
  }

  onlyNext(): number {
    let only = -1;
    for (const char of numberChars) {
      const codePoint = char.codePointAt(0) ?? 0;
      if (this.read(codePoint) === undefined) continue;
      if (only !== -1) return -1;
      only = codePoint;
    }
    return only;
  }
}

class SequenceStep implements Step {
  constructor(
    readonly items: readonly GrammarNode[],
    readonly index: number,
    readonly after: Step | undefined,
  ) {}

  resume(sink: Sink): void {
    const next = this.index + 1;
    const item = this.items[next];
    if (item === undefined) finish(this.after, sink, undefined);
    else enter(item, new SequenceStep(this.items, next, this.after), sink);
  }
}

type ArrayPhase = 'opened' | 'item' | 'separated';

class ArrayStep implements Step {
  constructor(
    readonly node: Extract<GrammarNode, { kind: 'array' }>,
    /** Items read so far. */
    readonly count: number,
    readonly phase: ArrayPhase,
    readonly after: Step | undefined,
  ) {}

  #item(sink: Sink): void {
    const item = this.node.prefix[this.count] ?? this.node.items;
    if (item !== undefined) enter(item, new ArrayStep(this.node, this.count + 1, 'item', this.after), sink);
  }

  resume(sink: Sink): void {
    const { node, count } = this;
    if (this.phase === 'separated') {
      this.#item(sink);
      return;
    }
    if (count >= node.minItems) enter(literal(']'), this.after, sink);
    if (count >= node.maxItems) return;
    if (this.phase === 'opened') this.#item(sink);
    else enter(literal(separators.item), new ArrayStep(node, count, 'separated', this.after), sink);
  }
}

type ObjectPhase = 'opened' | 'key' | 'value' | 'separated' | 'extra-key' | 'extra-value';

/** The trie of the keys of `properties[from…to]`, each ending with its index. */
function keyTrie(node: Extract<GrammarNode, { kind: 'object' }>, from: number, to: number): Trie {
  const cacheKey = `${from}-${to}`;
  let trie = node.keyTries.get(cacheKey);
  if (trie !== undefined) return trie;
  interface Building {
    children: Map<number, Building>;
    value: number | undefined;
  }
  const root: Building = { children: new Map(), value: undefined };
  for (let index = from; index <= to; index++) {
    let at = root;
    for (const codePoint of node.properties[index]?.key ?? []) {
      let child = at.children.get(codePoint);
      if (child === undefined) {
        child = { children: new Map(), value: undefined };
        at.children.set(codePoint, child);
      }
      at = child;
    }
    at.value = index;
  }
  trie = root;
  node.keyTries.set(cacheKey, trie);
  return trie;
}

const anyKey: Extract<GrammarNode, { kind: 'string' }> = {
  kind: 'string',
  content: undefined,
  minLength: 0,
  maxLength: Infinity,
};

class ObjectStep implements Step {
  constructor(
    readonly node: Extract<GrammarNode, { kind: 'object' }>,
    /** The first listed property that may still come. */
    readonly next: number,
    readonly phase: ObjectPhase,
    /** The extra keys written so far. */
    readonly extras: readonly string[],
    /** In `key`/`extra-key`: the property whose value comes next (an index, or an extra key's name). */
    readonly property: number | string | undefined,
    readonly after: Step | undefined,
  ) {}

  #step(phase: ObjectPhase, next = this.next, extras = this.extras, property?: number | string): ObjectStep {
    return new ObjectStep(this.node, next, phase, extras, property, this.after);
  }

  /** The first required property from `next` on; `properties.length` when none is left. */
  #firstRequired(): number {
    const { properties } = this.node;
    for (let index = this.next; index < properties.length; index++)
      if (properties[index]?.required) return index;
    return properties.length;
  }

  /** The keys that may come next: listed ones up to the first required, then extra ones. */
  #keys(sink: Sink): void {
    const { properties, additional } = this.node;
    const last = Math.min(this.#firstRequired(), properties.length - 1);
    if (this.next <= last) {
      enter({ kind: 'literals', trie: keyTrie(this.node, this.next, last) }, this.#step('key'), sink);
    }
    if (additional !== undefined && this.#firstRequired() === properties.length) {
      const taken = new Set([...properties.map(({ name }) => name), ...this.node.excluded, ...this.extras]);
      offer(StringReader.open(anyKey, this.#step('extra-key'), taken), sink);
    }
  }

  #mayClose(): boolean {
    return this.#firstRequired() === this.node.properties.length;
  }

  #mayGoOn(): boolean {
    return this.next < this.node.properties.length || this.node.additional !== undefined;
  }

  resume(sink: Sink, value: number | string | undefined): void {
    const { node } = this;
    switch (this.phase) {
      case 'opened':
        if (this.#mayClose()) enter(literal('}'), this.after, sink);
        this.#keys(sink);
        return;
      case 'separated':
        this.#keys(sink);
        return;
      case 'key': {
        const index = value as number;
        const property = node.properties[index] as Property;
        enter(
          { kind: 'sequence', items: [literal(separators.key), property.value] },
          this.#step('value', index + 1),
          sink,
        );
        return;
      }
      case 'extra-key':
        enter(
          { kind: 'sequence', items: [literal(separators.key), node.additional as GrammarNode] },
          this.#step('extra-value', node.properties.length, [...this.extras, value as string]),
          sink,
        );
        return;
      case 'value':
      case 'extra-value':
        if (this.#mayClose()) enter(literal('}'), this.after, sink);
        if (this.#mayGoOn()) enter(literal(separators.item), this.#step('separated'), sink);
        return;
    }
  }
}
