/** A plain boolean-array model of `inferlib:brle/encoding`, the oracle for property tests. */
export class BoolArrayModel {
  values: boolean[];

  constructor(values: boolean[]) {
    this.values = values;
  }

  static ofSize(size: number): BoolArrayModel {
    return new BoolArrayModel(new Array<boolean>(size).fill(false));
  }

  append(flag: boolean): void {
    this.values.push(flag);
  }

  maskRange(start: number, end: number, flag: boolean): void {
    for (let index = start; index < Math.min(end, this.values.length); index++) this.values[index] = flag;
  }

  mask(indices: readonly number[], flag: boolean): void {
    for (const index of indices) if (index < this.values.length) this.values[index] = flag;
  }

  removeRange(start: number, end: number): void {
    if (start < end && start < this.values.length)
      this.values.splice(start, Math.min(end, this.values.length) - start);
  }

  isRangeAllValue(start: number, end: number, expected: boolean): boolean {
    if (start >= end) return true;
    if (end > this.values.length) return false;
    return this.values.slice(start, end).every((value) => value === expected);
  }

  len(): number {
    return this.values.length;
  }

  isEmpty(): boolean {
    return this.values.length === 0;
  }

  toBools(): boolean[] {
    return [...this.values];
  }

  /** The canonical run lengths, computed the obvious way. */
  getBuffer(): number[] {
    const runs: number[] = [];
    let current = false;
    let length = 0;
    for (const value of this.values) {
      if (value === current) length++;
      else {
        runs.push(length);
        current = value;
        length = 1;
      }
    }
    if (length > 0 || runs.length > 0) runs.push(length);
    return runs;
  }
}
