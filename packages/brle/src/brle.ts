import { refuseAfterDrop } from '@inferlib/support';
import { appendRun, appendSlice, forEachRun, type Runs, runsOfValue } from './runs.ts';

const clamp = (value: number, max: number): number => Math.max(0, Math.min(value, max));

/**
 * A boolean sequence stored as binary run lengths (see `runs.ts`). Every operation works on runs, so its
 * cost grows with the number of runs, not with the length of the sequence.
 */
export class Brle {
  #runs: Runs;
  #length: number;

  constructor(size: number) {
    this.#runs = runsOfValue(false, size);
    this.#length = Math.max(0, size);
  }

  /** Built with `this`, so that a subclass (see `component.ts`) gets instances of itself. */
  static fromBools(values: ArrayLike<boolean>): Brle {
    const brle = new this(0);
    for (let index = 0; index < values.length; index++) appendRun(brle.#runs, values[index] === true, 1);
    brle.#length = values.length;
    return brle;
  }

  len(): number {
    return this.#length;
  }

  isEmpty(): boolean {
    return this.#length === 0;
  }

  append(flag: boolean): void {
    appendRun(this.#runs, flag, 1);
    this.#length += 1;
  }

  getBuffer(): Uint32Array {
    return Uint32Array.from(this.#runs);
  }

  toBools(): boolean[] {
    const values = new Array<boolean>(this.#length);
    forEachRun(this.#runs, (value, start, end) => values.fill(value, start, end));
    return values;
  }

  clone(): Brle {
    const copy = new (this.constructor as typeof Brle)(0);
    copy.#runs = [...this.#runs];
    copy.#length = this.#length;
    return copy;
  }

  maskRange(start: number, end: number, flag: boolean): void {
    const from = clamp(start, this.#length);
    const to = clamp(end, this.#length);
    if (from >= to) return;
    this.#replace(from, to, runsOfValue(flag, to - from));
  }

  mask(indices: ArrayLike<number>, flag: boolean): void {
    const inRange = new Set<number>();
    for (let index = 0; index < indices.length; index++) {
      const position = indices[index] ?? -1;
      if (Number.isInteger(position) && position >= 0 && position < this.#length) inRange.add(position);
    }
    if (inRange.size === 0) return;
    const sorted = [...inRange].sort((a, b) => a - b);
    const runs: Runs = [];
    let next = 0;
    forEachRun(this.#runs, (value, start, end) => {
      let cursor = start;
      for (let position = sorted[next]; position !== undefined && position < end; position = sorted[++next]) {
        appendRun(runs, value, position - cursor);
        appendRun(runs, flag, 1);
        cursor = position + 1;
      }
      appendRun(runs, value, end - cursor);
    });
    this.#runs = runs;
  }

  removeRange(start: number, end: number): void {
    const from = clamp(start, this.#length);
    const to = clamp(end, this.#length);
    if (from >= to) return;
    this.#replace(from, to, []);
    this.#length -= to - from;
  }

  isRangeAllValue(start: number, end: number, expectedValue: boolean): boolean {
    if (start >= end) return true;
    if (end > this.#length) return false;
    let all = true;
    forEachRun(this.#runs, (value, runStart, runEnd) => {
      if (value !== expectedValue && runStart < end && runEnd > start) all = false;
    });
    return all;
  }

  /** Nothing to release: the runs are plain memory. Present because the WIT resource is disposable. */
  [Symbol.dispose](): void {}

  /** Replaces `[from, to)` (within the sequence) by `middle`, which must be `to - from` long to keep the length. */
  #replace(from: number, to: number, middle: Runs): void {
    const runs: Runs = [];
    appendSlice(runs, this.#runs, 0, from);
    forEachRun(middle, (value, start, end) => appendRun(runs, value, end - start));
    appendSlice(runs, this.#runs, to, this.#length);
    this.#runs = runs;
  }
}

refuseAfterDrop(Brle, 'inferlib:brle/encoding.brle');
