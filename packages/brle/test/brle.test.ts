import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Brle } from '../src/index.ts';
import { checkProgram, program } from './program.ts';

const buffer = (brle: Brle): number[] => [...brle.getBuffer()];

describe('Brle', () => {
  it('new(n) is n falses: [n], and the empty sequence is []', () => {
    expect(buffer(new Brle(5))).toEqual([5]);
    expect(buffer(new Brle(0))).toEqual([]);
    expect(new Brle(0).isEmpty()).toBe(true);
    expect(new Brle(3).toBools()).toEqual([false, false, false]);
  });

  it('starts with a zero-length false run when the sequence starts with true', () => {
    expect(buffer(Brle.fromBools([true, true, false]))).toEqual([0, 2, 1]);
    const brle = new Brle(0);
    brle.append(true);
    expect(buffer(brle)).toEqual([0, 1]);
  });

  it('append merges into the last run when equal', () => {
    const brle = new Brle(2);
    brle.append(false);
    brle.append(true);
    brle.append(true);
    expect(buffer(brle)).toEqual([3, 2]);
    expect(brle.len()).toBe(5);
  });

  it('mask-range sets [start, end), clamps to the length and ignores an empty range', () => {
    const brle = new Brle(6);
    brle.maskRange(2, 4, true);
    expect(buffer(brle)).toEqual([2, 2, 2]);
    brle.maskRange(5, 100, true);
    expect(buffer(brle)).toEqual([2, 2, 1, 1]);
    brle.maskRange(4, 4, true);
    brle.maskRange(5, 3, false);
    brle.maskRange(50, 60, true);
    expect(buffer(brle)).toEqual([2, 2, 1, 1]);
    brle.maskRange(0, 6, false);
    expect(buffer(brle)).toEqual([6]);
  });

  it('mask sets each index and ignores indices past the end; duplicates are harmless', () => {
    const brle = new Brle(5);
    brle.mask(Uint32Array.of(4, 0, 0, 9), true);
    expect(buffer(brle)).toEqual([0, 1, 3, 1]);
    brle.mask(Uint32Array.of(0), false);
    expect(buffer(brle)).toEqual([4, 1]);
  });

  it('remove-range deletes [start, end) clamped, and merges the runs it brings together', () => {
    const brle = Brle.fromBools([false, true, true, false, false]);
    brle.removeRange(1, 3);
    expect(buffer(brle)).toEqual([3]);
    expect(brle.len()).toBe(3);
    brle.removeRange(2, 99);
    expect(buffer(brle)).toEqual([2]);
    brle.removeRange(5, 9);
    brle.removeRange(1, 1);
    expect(brle.len()).toBe(2);
    brle.removeRange(0, 2);
    expect(buffer(brle)).toEqual([]);
    expect(brle.isEmpty()).toBe(true);
  });

  it('is-range-all-value: true for an empty range, false past the end', () => {
    const brle = Brle.fromBools([true, true, false]);
    expect(brle.isRangeAllValue(0, 2, true)).toBe(true);
    expect(brle.isRangeAllValue(0, 3, true)).toBe(false);
    expect(brle.isRangeAllValue(2, 3, false)).toBe(true);
    expect(brle.isRangeAllValue(1, 1, false)).toBe(true);
    expect(brle.isRangeAllValue(7, 7, true)).toBe(true);
    expect(brle.isRangeAllValue(2, 4, false)).toBe(false);
  });

  it('clone is independent of the original', () => {
    const original = Brle.fromBools([true, false]);
    const copy = original.clone();
    copy.append(true);
    copy.maskRange(0, 1, false);
    expect(original.toBools()).toEqual([true, false]);
    expect(copy.toBools()).toEqual([false, false, true]);
  });

  it('works on runs: a long mask with few runs stays small', () => {
    const brle = new Brle(1_000_000);
    brle.maskRange(10, 999_990, true);
    brle.mask(Uint32Array.of(500_000), false);
    expect(buffer(brle)).toEqual([10, 499_990, 1, 499_989, 10]);
    expect(brle.isRangeAllValue(10, 500_000, true)).toBe(true);
  });

  it('matches a boolean-array model on random programs', () => {
    fc.assert(
      fc.property(program, (generated) => checkProgram(Brle, generated)),
      { numRuns: 9_000 },
    );
  });
});
