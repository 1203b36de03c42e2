/**
 * Canonical run lists: lengths of alternating runs, the first a run of `false` (0 long when the sequence
 * starts with `true`), with no other zero-length run. The empty sequence is the empty list.
 */
export type Runs = number[];

/** The value of the run at `index` in a canonical list. */
export const runValue = (index: number): boolean => index % 2 === 1;

/** Appends `length` copies of `value` to `runs` in place, keeping it canonical. */
export function appendRun(runs: Runs, value: boolean, length: number): void {
  if (length <= 0) return;
  if (runs.length === 0) {
    if (value) runs.push(0);
    runs.push(length);
    return;
  }
  const last = runs.length - 1;
  if (runValue(last) === value) runs[last] = (runs[last] ?? 0) + length;
  else runs.push(length);
}

export function runsOfValue(value: boolean, length: number): Runs {
  const runs: Runs = [];
  appendRun(runs, value, length);
  return runs;
}

/** Calls `visit(value, start, end)` for each non-empty run, in order. */
export function forEachRun(runs: Runs, visit: (value: boolean, start: number, end: number) => void): void {
  let position = 0;
  for (let index = 0; index < runs.length; index++) {
    const length = runs[index] ?? 0;
    if (length > 0) visit(runValue(index), position, position + length);
    position += length;
  }
}

/** The runs of `[start, end)`, appended to `out`; `start` and `end` must lie within the sequence. */
export function appendSlice(out: Runs, runs: Runs, start: number, end: number): void {
  if (start >= end) return;
  forEachRun(runs, (value, runStart, runEnd) => {
    appendRun(out, value, Math.min(runEnd, end) - Math.max(runStart, start));
  });
}
