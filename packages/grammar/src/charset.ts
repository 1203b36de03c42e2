/**
 * Sets of Unicode code points as sorted inclusive ranges, flat: `[low0, high0, low1, high1, …]`, neither
 * overlapping nor adjacent. Every character test of the grammar is a range test, so a partial UTF-8
 * character (a range of possible code points) is judged as exactly as a whole one.
 */
export type CharSet = readonly number[];

export const maxCodePoint = 0x10ffff;

export const emptySet: CharSet = [];
export const anyChar: CharSet = [0, maxCodePoint];

/** The set of the given ranges, in any order, overlapping or not. */
export function fromRanges(ranges: readonly (readonly [number, number])[]): CharSet {
  const sorted = ranges.filter(([low, high]) => low <= high).sort((a, b) => a[0] - b[0]);
  const result: number[] = [];
  for (const [low, high] of sorted) {
    const last = result.length - 1;
    if (last > 0 && low <= (result[last] as number) + 1) {
      result[last] = Math.max(result[last] as number, high);
    } else {
      result.push(low, high);
    }
  }
  return result;
}

export const single = (codePoint: number): CharSet => [codePoint, codePoint];

export const fromString = (chars: string): CharSet =>
  fromRanges([...chars].map((char) => [char.codePointAt(0) ?? 0, char.codePointAt(0) ?? 0]));

export function union(...sets: readonly CharSet[]): CharSet {
  const ranges: [number, number][] = [];
  for (const set of sets) for (let i = 0; i < set.length; i += 2) ranges.push([set[i] ?? 0, set[i + 1] ?? 0]);
  return fromRanges(ranges);
}

export function complement(set: CharSet): CharSet {
  const result: number[] = [];
  let next = 0;
  for (let i = 0; i < set.length; i += 2) {
    const low = set[i] as number;
    if (low > next) result.push(next, low - 1);
    next = (set[i + 1] as number) + 1;
  }
  if (next <= maxCodePoint) result.push(next, maxCodePoint);
  return result;
}

export const intersect = (a: CharSet, b: CharSet): CharSet => complement(union(complement(a), complement(b)));

export const subtract = (a: CharSet, b: CharSet): CharSet => intersect(a, complement(b));

export function contains(set: CharSet, codePoint: number): boolean {
  // Binary search over the range starts.
  let low = 0;
  let high = set.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (codePoint < (set[middle * 2] as number)) high = middle - 1;
    else if (codePoint > (set[middle * 2 + 1] as number)) low = middle + 1;
    else return true;
  }
  return false;
}

/** Whether any code point in `[low, high]` is in the set. */
export function overlaps(set: CharSet, low: number, high: number): boolean {
  for (let i = 0; i < set.length; i += 2) {
    if ((set[i] as number) > high) return false;
    if ((set[i + 1] as number) >= low) return true;
  }
  return false;
}

/** The one code point of a set of one, or -1. */
export const onlyMember = (set: CharSet): number =>
  set.length === 2 && set[0] === set[1] ? (set[0] as number) : -1;

export const isEmpty = (set: CharSet): boolean => set.length === 0;
