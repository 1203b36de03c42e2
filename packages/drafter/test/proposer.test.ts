/** `inferlib:drafter/proposer` in Node: prompt lookup's drafts, bounded by `max`, and a bad `max` named. */
import { promptLookup } from '@inferlib/support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxDrafts, propose } from '../src/index.ts';

describe('proposer', () => {
  it("proposes prompt lookup's drafts with its defaults, never more than max", () => {
    const lookup = promptLookup();
    expect(maxDrafts()).toBe(8);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 10 }),
        (processed, pending, max) => {
          const drafts = [...propose(Uint32Array.from(processed), Uint32Array.from(pending), max)];
          expect(drafts).toEqual(lookup(processed, pending, max));
          expect(drafts.length).toBeLessThanOrEqual(max);
        },
      ),
    );
    // The text after the last token's earlier occurrence.
    expect([...propose(Uint32Array.of(1, 2, 3, 4, 1), Uint32Array.of(2), 8)]).toEqual([3, 4, 1, 2]);
  });

  it('refuses a max that is not a count, naming the call', () => {
    expect(() => propose(Uint32Array.of(1), Uint32Array.of(1), -1)).toThrow(
      'inferlib:drafter/proposer.propose: max -1 is not a count (a u32)',
    );
  });
});
