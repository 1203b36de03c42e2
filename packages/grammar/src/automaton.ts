/**
 * A regular language as an automaton over code points: a Thompson NFA, pruned to the states from which the
 * text can still be completed, read through a DFA built lazily as the text goes. Every DFA state this gives
 * out is live: some continuation (maybe the empty one) makes the text a match.
 */
import { type CharSet, contains, fromRanges, subtract } from './charset.ts';
import type { RegexNode } from './regex.ts';

/** UTF-8 cannot carry a surrogate, so no text holds one: no transition needs it. */
const surrogates: CharSet = fromRanges([[0xd800, 0xdfff]]);

/** The most NFA states an expression may take once repetitions are written out. */
const maxNfaStates = 100_000;
/** DFA states are cached up to this many per automaton, then the cache starts again. */
const maxCachedStates = 50_000;

interface NfaState {
  readonly epsilon: number[];
  readonly chars: { readonly set: CharSet; readonly to: number }[];
  /** Passable only at the start of the text (`^`). */
  readonly atStart: number[];
  /** Passable only at the end of the text (`$`): nothing may be read after it. */
  readonly atEnd: number[];
}

class NfaBuilder {
  readonly states: NfaState[] = [];

  add(): number {
    if (this.states.length >= maxNfaStates) {
      throw new Error(
        `the expression is too large once its repetitions are written out (over ${maxNfaStates} states)`,
      );
    }
    this.states.push({ epsilon: [], chars: [], atStart: [], atEnd: [] });
    return this.states.length - 1;
  }

  #state(index: number): NfaState {
    return this.states[index] as NfaState;
  }

  /** Adds the paths of `node` from state `from` to state `to`. */
  build(node: RegexNode, from: number, to: number): void {
    switch (node.kind) {
      case 'chars': {
        const set = subtract(node.set, surrogates);
        if (set.length > 0) this.#state(from).chars.push({ set, to });
        return;
      }
      case 'start':
        this.#state(from).atStart.push(to);
        return;
      case 'end':
        this.#state(from).atEnd.push(to);
        return;
      case 'alternatives':
        for (const option of node.options) this.build(option, from, to);
        return;
      case 'sequence': {
        let at = from;
        node.items.forEach((item, index) => {
          const next = index === node.items.length - 1 ? to : this.add();
          this.build(item, at, next);
          at = next;
        });
        if (node.items.length === 0) this.#state(from).epsilon.push(to);
        return;
      }
      case 'repeat': {
        let at = from;
        for (let count = 0; count < node.min; count++) {
          const next = this.add();
          this.build(node.item, at, next);
          at = next;
        }
        if (node.max === Infinity) {
          const loop = this.add();
          this.#state(at).epsilon.push(loop);
          const back = this.add();
          this.build(node.item, loop, back);
          this.#state(back).epsilon.push(loop);
          this.#state(loop).epsilon.push(to);
        } else {
          this.#state(at).epsilon.push(to);
          for (let count = node.min; count < node.max; count++) {
            const next = this.add();
            this.build(node.item, at, next);
            this.#state(next).epsilon.push(to);
            at = next;
          }
        }
        return;
      }
    }
  }
}

/** One state of the lazily built DFA: the NFA states that read a character next, and whether it accepts. */
export class DfaState {
  readonly accepting: boolean;
  readonly key: string;
  readonly #automaton: Automaton;
  readonly #charStates: readonly number[];
  /** Elementary intervals: `[#starts[i], #starts[i + 1])` goes to `#targets[i]` (`null`: nowhere). */
  #starts: number[] | undefined;
  #targets: (DfaState | null)[] = [];
  readonly #lengths = new Map<number, Uint8Array>();

  constructor(automaton: Automaton, charStates: readonly number[], accepting: boolean, key: string) {
    this.#automaton = automaton;
    this.#charStates = charStates;
    this.accepting = accepting;
    this.key = key;
  }

  /** Whether any character may follow. */
  get canRead(): boolean {
    return this.#charStates.length > 0;
  }

  #table(): number[] {
    if (this.#starts !== undefined) return this.#starts;
    const edges = this.#charStates.flatMap((state) => this.#automaton.liveEdges(state));
    const bounds = new Set<number>();
    for (const { set } of edges) {
      for (let i = 0; i < set.length; i += 2) {
        bounds.add(set[i] as number);
        bounds.add((set[i + 1] as number) + 1);
      }
    }
    const starts = [...bounds].sort((a, b) => a - b);
    this.#targets = starts.map((start) => {
      const to = edges.filter(({ set }) => contains(set, start)).map((edge) => edge.to);
      return to.length === 0 ? null : this.#automaton.stateOf(to, false);
    });
    this.#starts = starts;
    return starts;
  }

  /** The state after `codePoint`, or `null` when the text could then never match. */
  next(codePoint: number): DfaState | null {
    const starts = this.#table();
    let low = 0;
    let high = starts.length - 1;
    if (high < 0 || codePoint < (starts[0] as number)) return null;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] as number) <= codePoint) low = middle;
      else high = middle - 1;
    }
    return this.#targets[low] ?? null;
  }

  /** Whether some code point in `[low, high]` leads to a state that `ok` accepts. */
  someNextIn(low: number, high: number, ok: (state: DfaState) => boolean): boolean {
    const starts = this.#table();
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i] as number;
      const end = (starts[i + 1] ?? Infinity) - 1;
      if (end < low) continue;
      if (start > high) break;
      const target = this.#targets[i];
      if (target !== null && target !== undefined && ok(target)) return true;
    }
    return false;
  }

  /** The only code point that may follow, or -1 when none or several may. */
  onlyNext(): number {
    const starts = this.#table();
    let only = -1;
    for (let i = 0; i < starts.length; i++) {
      if (this.#targets[i] === null) continue;
      const start = starts[i] as number;
      if (only !== -1 || (starts[i + 1] ?? Infinity) !== start + 1) return -1;
      only = start;
    }
    return only;
  }

  /** Each distinct state one character further on, with the first code point that leads there. */
  transitions(): Map<DfaState, number> {
    const starts = this.#table();
    const transitions = new Map<DfaState, number>();
    this.#targets.forEach((target, index) => {
      if (target !== null && !transitions.has(target)) transitions.set(target, starts[index] as number);
    });
    return transitions;
  }

  /**
   * Which lengths, up to `bound`, a continuation that makes the text a match may have: `result[n]` is 1 when
   * one of exactly `n` characters exists.
   */
  lengthsToAccept(bound: number): Uint8Array {
    let lengths = this.#lengths.get(bound);
    if (lengths !== undefined) return lengths;
    lengths = new Uint8Array(bound + 1);
    let layer: DfaState[] = [this];
    for (let length = 0; length <= bound && layer.length > 0; length++) {
      if (layer.some((state) => state.accepting)) lengths[length] = 1;
      if (length === bound) break;
      const next = new Map<string, DfaState>();
      for (const state of layer)
        for (const successor of state.transitions().keys()) next.set(successor.key, successor);
      layer = [...next.values()];
    }
    this.#lengths.set(bound, lengths);
    return lengths;
  }
}

export class Automaton {
  readonly #states: readonly NfaState[];
  readonly #accept: number;
  /** States from which the end of the text can be a match with no more characters. */
  readonly #endReach: Uint8Array;
  /** States from which some continuation is a match. */
  readonly #live: Uint8Array;
  readonly #cache = new Map<string, DfaState>();
  /** The state at the start of the text; `null` when no text matches. */
  readonly initial: DfaState | null;

  constructor(node: RegexNode) {
    const builder = new NfaBuilder();
    const start = builder.add();
    this.#accept = builder.add();
    builder.build(node, start, this.#accept);
    this.#states = builder.states;
    this.#endReach = this.#reaching([this.#accept], (state) => [...state.epsilon, ...state.atEnd]);
    this.#live = this.#reaching(
      this.#states.flatMap((_, index) => (this.#endReach[index] === 1 ? [index] : [])),
      (state) => [...state.epsilon, ...state.chars.map(({ to }) => to)],
    );
    const initial = this.stateOf([start], true);
    this.initial = initial;
  }

  /** The states from which `targets` are reachable by the edges `edgesOf` gives. */
  #reaching(targets: readonly number[], edgesOf: (state: NfaState) => readonly number[]): Uint8Array {
    const predecessors: number[][] = this.#states.map(() => []);
    this.#states.forEach((state, index) => {
      for (const to of edgesOf(state)) predecessors[to]?.push(index);
    });
    const reached = new Uint8Array(this.#states.length);
    const stack = [...targets];
    for (const target of targets) reached[target] = 1;
    while (stack.length > 0) {
      for (const from of predecessors[stack.pop() as number] ?? []) {
        if (reached[from] === 0) {
          reached[from] = 1;
          stack.push(from);
        }
      }
    }
    return reached;
  }

  /** The NFA's state count: a continuation longer than this by more than needed repeats a state. */
  get size(): number {
    return this.#states.length;
  }

  liveEdges(state: number): readonly { set: CharSet; to: number }[] {
    return (this.#states[state]?.chars ?? []).filter(({ to }) => this.#live[to] === 1);
  }

  /** The DFA state of the closure of `from`; `atStart` lets `^` pass. `null` when it is dead. */
  stateOf(from: readonly number[], atStart: boolean): DfaState | null {
    const seen = new Set<number>();
    const stack = [...from];
    let accepting = false;
    const charStates: number[] = [];
    while (stack.length > 0) {
      const index = stack.pop() as number;
      if (seen.has(index)) continue;
      seen.add(index);
      const state = this.#states[index] as NfaState;
      if (index === this.#accept) accepting = true;
      if (this.liveEdges(index).length > 0) charStates.push(index);
      stack.push(...state.epsilon);
      if (atStart) stack.push(...state.atStart);
      for (const to of state.atEnd) if (this.#endsHere(to, atStart)) accepting = true;
    }
    if (charStates.length === 0 && !accepting) return null;
    charStates.sort((a, b) => a - b);
    const key = `${accepting ? 'a' : 'n'}${charStates.join(',')}`;
    let dfa = this.#cache.get(key);
    if (dfa === undefined) {
      if (this.#cache.size >= maxCachedStates) this.#cache.clear();
      dfa = new DfaState(this, charStates, accepting, key);
      this.#cache.set(key, dfa);
    }
    return dfa;
  }

  /** Whether the text may end at `state` (after a `$`); at the start, `^` may pass too. */
  #endsHere(state: number, atStart: boolean): boolean {
    if (!atStart) return this.#endReach[state] === 1;
    const seen = new Set<number>();
    const stack = [state];
    while (stack.length > 0) {
      const index = stack.pop() as number;
      if (index === this.#accept) return true;
      if (seen.has(index)) continue;
      seen.add(index);
      const next = this.#states[index] as NfaState;
      stack.push(...next.epsilon, ...next.atEnd, ...next.atStart);
    }
    return false;
  }
}
