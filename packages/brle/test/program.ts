/**
 * Random programs over `inferlib:brle/encoding`, run against an implementation and the boolean-array
 * model side by side. Shared by the in-process test and the component test, so both check one contract.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { expect } from 'vitest';
import { BoolArrayModel } from './model.ts';

/** What both the in-process class and the jco-transpiled resource provide. */
export interface BrleLike {
  len(): number;
  isEmpty(): boolean;
  append(flag: boolean): void;
  getBuffer(): ArrayLike<number>;
  toBools(): boolean[];
  clone(): BrleLike;
  maskRange(start: number, end: number, flag: boolean): void;
  mask(indices: Uint32Array, flag: boolean): void;
  removeRange(start: number, end: number): void;
  isRangeAllValue(start: number, end: number, expectedValue: boolean): boolean;
}

export interface BrleClass {
  new (size: number): BrleLike;
  fromBools(values: boolean[]): BrleLike;
}

/** Positions a little past typical lengths, so that clamping and out-of-range cases come up often. */
const position = fc.nat({ max: 48 });

export type Step =
  | { op: 'append'; flag: boolean }
  | { op: 'mask'; indices: number[]; flag: boolean }
  | { op: 'maskRange'; start: number; end: number; flag: boolean }
  | { op: 'removeRange'; start: number; end: number }
  | { op: 'fromBools'; values: boolean[] }
  | { op: 'clone'; thenAppend: boolean }
  | { op: 'query'; start: number; end: number; expected: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('append' as const), flag: fc.boolean() }),
  fc.record({
    op: fc.constant('mask' as const),
    indices: fc.array(position, { maxLength: 6 }),
    flag: fc.boolean(),
  }),
  fc.record({ op: fc.constant('maskRange' as const), start: position, end: position, flag: fc.boolean() }),
  fc.record({ op: fc.constant('removeRange' as const), start: position, end: position }),
  fc.record({ op: fc.constant('fromBools' as const), values: fc.array(fc.boolean(), { maxLength: 40 }) }),
  fc.record({ op: fc.constant('clone' as const), thenAppend: fc.boolean() }),
  fc.record({ op: fc.constant('query' as const), start: position, end: position, expected: fc.boolean() }),
);

export const program = fc.record({ size: fc.nat({ max: 40 }), steps: fc.array(step, { maxLength: 25 }) });
export type Program = typeof program extends fc.Arbitrary<infer T> ? T : never;

/** Ranges whose is-range-all-value every step checks: the whole, one past the end, the middle third. */
const probedRanges = (length: number) =>
  [
    [0, length],
    [0, length + 1],
    [Math.floor(length / 3), Math.ceil((2 * length) / 3)],
  ] as const;

/** What can be read of a sequence without changing it: the same calls on an implementation and the model. */
type Readable = Pick<BrleLike, 'len' | 'isEmpty' | 'getBuffer' | 'toBools' | 'isRangeAllValue'>;

/** Every observable of `subject`, with is-range-all-value over the ranges probed for `length` values. */
const observe = (subject: Readable, length: number) => ({
  'get-buffer': Array.from(subject.getBuffer()),
  'to-bools': subject.toBools(),
  len: subject.len(),
  'is-empty': subject.isEmpty(),
  'is-range-all-value': probedRanges(length).flatMap(([start, end]) =>
    [false, true].map(
      (expected) => `(${start}, ${end}, ${expected}): ${subject.isRangeAllValue(start, end, expected)}`,
    ),
  ),
});

/** Compares without `expect` unless they differ: a program checks this after every step, thousands of times. */
function expectSame(subject: BrleLike, model: BoolArrayModel, context: string): void {
  const length = model.values.length;
  const observed = observe(subject, length);
  const predicted = observe(model, length);
  if (!isDeepStrictEqual(observed, predicted)) expect(observed, context).toEqual(predicted);
}

/** Runs `steps` on `Brle` and on the model, comparing every observable after each step. */
export function checkProgram(Brle: BrleClass, { size, steps }: Program): void {
  let subject = new Brle(size);
  let model = BoolArrayModel.ofSize(size);
  expectSame(subject, model, `new(${size})`);
  steps.forEach((current, index) => {
    const context = `step ${index} ${JSON.stringify(current)}`;
    switch (current.op) {
      case 'append':
        subject.append(current.flag);
        model.append(current.flag);
        break;
      case 'mask':
        subject.mask(Uint32Array.from(current.indices), current.flag);
        model.mask(current.indices, current.flag);
        break;
      case 'maskRange':
        subject.maskRange(current.start, current.end, current.flag);
        model.maskRange(current.start, current.end, current.flag);
        break;
      case 'removeRange':
        subject.removeRange(current.start, current.end);
        model.removeRange(current.start, current.end);
        break;
      case 'fromBools':
        subject = Brle.fromBools(current.values);
        model = new BoolArrayModel([...current.values]);
        break;
      case 'clone': {
        const copy = subject.clone();
        const copyModel = new BoolArrayModel([...model.values]);
        // The original must not see what happens to the copy.
        if (current.thenAppend) {
          copy.append(true);
          copyModel.append(true);
          expectSame(subject, model, `${context} (original after the copy changed)`);
        }
        subject = copy;
        model = copyModel;
        break;
      }
      case 'query':
        expect(subject.isRangeAllValue(current.start, current.end, current.expected), context).toBe(
          model.isRangeAllValue(current.start, current.end, current.expected),
        );
        break;
    }
    expectSame(subject, model, context);
  });
}
