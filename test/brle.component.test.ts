import type * as Encoding from 'inferlib:brle/encoding';
import { createHost, runInferlet } from '@inferlib/host-shim';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkProgram, program } from '../packages/brle/test/program.ts';
import { loadBuilt } from './helpers/components.ts';

let encoding: typeof Encoding;

beforeAll(async () => {
  const component = await loadBuilt('packages', 'brle');
  const exports = await component.instantiate(createHost().createInstance().imports);
  encoding = exports.encoding as typeof Encoding;
});

describe('brle component under jco', () => {
  it('exports the spec edge cases', () => {
    expect([...new encoding.Brle(0).getBuffer()]).toEqual([]);
    expect([...new encoding.Brle(4).getBuffer()]).toEqual([4]);
    const brle = encoding.Brle.fromBools([true, false, false]);
    expect([...brle.getBuffer()]).toEqual([0, 1, 2]);
    brle.maskRange(1, 50, true);
    expect([...brle.getBuffer()]).toEqual([0, 3]);
    expect(brle.isRangeAllValue(2, 2, false)).toBe(true);
    expect(brle.isRangeAllValue(0, 4, true)).toBe(false);
    brle.removeRange(0, 1);
    expect(brle.toBools()).toEqual([true, true]);
  });

  it('keeps u32 run lengths intact across the boundary', () => {
    const brle = new encoding.Brle(4_000_000_000);
    brle.mask(Uint32Array.of(3_999_999_999), true);
    expect([...brle.getBuffer()]).toEqual([3_999_999_999, 1]);
    expect(encoding.Brle.fromBools([true]).clone().len()).toBe(1);
    const largest = new encoding.Brle(2 ** 31 - 1);
    expect(largest.len()).toBe(2 ** 31 - 1);
  });

  it('matches a boolean-array model on random programs', () => {
    fc.assert(
      fc.property(program, (generated) => checkProgram(encoding.Brle, generated)),
      { numRuns: 1_000 },
    );
  });
});

describe('brle resources used from another component of a composition', () => {
  it('keeps every handle pointing at its own resource through borrows, clones and drops', async () => {
    const client = await loadBuilt('test/fixtures', 'brle-client', 'composed');
    const outcome = await runInferlet(client, createHost().createInstance({ args: ['masks'] }));
    // second: [T,F,T] + T, then index 1 set: all true. third: [F,F] with index 1 set. copy: [F,T,T,F] minus index 0.
    expect(outcome).toEqual({
      ok: true,
      returnValue: JSON.stringify([
        [0, 4],
        [1, 1],
        [0, 2, 1],
      ]),
    });
  });

  it('reports an unknown scenario as the err of run', async () => {
    const client = await loadBuilt('test/fixtures', 'brle-client', 'composed');
    const outcome = await runInferlet(client, createHost().createInstance({ args: ['nope'] }));
    expect(outcome).toEqual({
      ok: false,
      error: 'unknown scenario "nope"; expected masks, small, list or churn',
      trapped: false,
    });
  });
});
