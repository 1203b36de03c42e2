/**
 * The forward-pass contract under random breaches: sequences of valid passes over a growing KV cache, with
 * broken versions of the next pass slipped in before it (foreign, freed and unknown pages, last-page length
 * off by one, masks of the wrong length or count or not canonical, mismatched positions, tokens outside the
 * vocabulary, output indices out of range, very long lists). Each breach must be refused with an `Error`
 * naming the call and the value, and must change nothing: the same sequence without the breaches, on a
 * second host, gives the same outputs and the same page accounting after every valid pass.
 */

import type { ForwardPass } from 'inferlet:core/forward';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHost } from '../src/index.ts';
import { GrowingCache, type Guest, guestOf, run, smallModel, u32 } from './fixture.ts';

const vocabSize = 48;
/** A list long enough that a host walking it carelessly would show (time, stack), short enough for CI. */
const longList = 20_000;

/** The calls of one pass over `tokens` after `length` cached tokens, in `pages`. */
interface PassLayout {
  pages: number[];
  lastPageLength: number;
  tokens: number[];
  positions: number[];
  /** Causal BRLE masks, one per input; `undefined`: no mask (the host's causal default). */
  masks: number[][] | undefined;
  outputIndices: number[];
}

type Breach =
  | { kind: 'foreign page' | 'freed page' | 'freed before execute' | 'unknown page'; at: number }
  | { kind: 'last page length + 1' | 'last page length 0' }
  | { kind: 'mask length'; at: number; delta: -1 | 1 }
  | { kind: 'mask count'; delta: -1 | 1 }
  | { kind: 'mask not canonical'; at: number; shape: 'leading zeros' | 'trailing zeros' | 'split run' }
  | { kind: 'mask twice' | 'positions count' | 'no inputs' | 'no kv-cache' | 'foreign pass' }
  | { kind: 'token outside vocabulary'; at: number; excess: number }
  | { kind: 'output index'; excess: number }
  | { kind: 'long page list' | 'long mask list' | 'long output list' | 'long input list' };

interface Step {
  tokens: number[];
  withMask: boolean;
  /** Greedy, or sampled at temperature 1 from the instance's seeded generator. */
  sampled: boolean;
  breaches: Breach[];
}

const index = fc.nat({ max: 1_000 });
const shortBreach = fc.oneof(
  fc.record({
    kind: fc.constantFrom('foreign page', 'freed page', 'freed before execute', 'unknown page'),
    at: index,
  }),
  fc.record({ kind: fc.constantFrom('last page length + 1', 'last page length 0') }),
  fc.record({ kind: fc.constant('mask length'), at: index, delta: fc.constantFrom(-1, 1) }),
  fc.record({ kind: fc.constant('mask count'), delta: fc.constantFrom(-1, 1) }),
  fc.record({
    kind: fc.constant('mask not canonical'),
    at: index,
    shape: fc.constantFrom('leading zeros', 'trailing zeros', 'split run'),
  }),
  fc.record({
    kind: fc.constantFrom('mask twice', 'positions count', 'no inputs', 'no kv-cache', 'foreign pass'),
  }),
  fc.record({ kind: fc.constant('token outside vocabulary'), at: index, excess: fc.nat({ max: 2 ** 31 }) }),
  fc.record({ kind: fc.constant('output index'), excess: fc.nat({ max: 2 ** 31 }) }),
);
const longBreach = fc.record({
  kind: fc.constantFrom('long page list', 'long mask list', 'long output list', 'long input list'),
});
// Long lists are rarer: each costs milliseconds.
const breach = fc.oneof(
  { weight: 15, arbitrary: shortBreach },
  { weight: 1, arbitrary: longBreach },
) as fc.Arbitrary<Breach>;

const step: fc.Arbitrary<Step> = fc.record({
  tokens: fc.array(fc.nat({ max: vocabSize - 1 }), { minLength: 1, maxLength: 5 }),
  withMask: fc.boolean(),
  sampled: fc.boolean(),
  breaches: fc.array(breach, { maxLength: 2 }),
});

/** One instance's growing sequence, as a context drives it. */
class Sequence extends GrowingCache {
  /** The layout of the next pass over `tokens`, with the pages it needs allocated. */
  layout(tokens: readonly number[], withMask: boolean): PassLayout {
    const lastPageLength = this.grow(tokens.length);
    return {
      pages: [...this.pages],
      lastPageLength,
      tokens: [...tokens],
      positions: tokens.map((_, offset) => this.length + offset),
      masks: withMask ? tokens.map((_, offset) => [this.length + offset + 1]) : undefined,
      outputIndices: [tokens.length - 1],
    };
  }

  /** Makes the calls of `layout`; `beforeExecute` may break the pass between them and `execute`. */
  submit(layout: PassLayout, sampled: boolean, beforeExecute: (pass: ForwardPass) => void = () => {}) {
    const { forward, queue } = this.guest;
    const pass = forward.createForwardPass(queue);
    forward.kvCache(pass, u32(layout.pages), layout.lastPageLength);
    forward.inputTokens(pass, u32(layout.tokens), u32(layout.positions));
    if (layout.masks !== undefined) forward.attentionMask(pass, layout.masks.map(u32));
    forward.outputTokens(pass, u32(layout.outputIndices), sampled ? 1 : 0);
    forward.outputDistributions(pass, u32(layout.outputIndices), 1, 4);
    beforeExecute(pass);
    const result = run(this.guest, pass);
    return { tokens: result?.getTokens(), distributions: result?.getDistributions() };
  }

  /** A valid pass: it must succeed; the cache then holds its tokens. */
  advance(layout: PassLayout, sampled: boolean) {
    const outputs = this.submit(layout, sampled);
    this.length += layout.tokens.length;
    return outputs;
  }
}

/** A breach ready to make, and the refusal it must meet: the call named first, and the offending value. */
interface Attempt {
  readonly call: string;
  readonly value: string;
  readonly make: () => unknown;
}

/** `layout`, the next valid pass of `sequence`, broken as `breach` says; `stranger` is another instance. */
function attempt(
  sequence: Sequence,
  stranger: Guest,
  layout: PassLayout,
  sampled: boolean,
  breach: Breach,
): Attempt {
  const { guest, pageSize } = sequence;
  const { common, forward, queue } = guest;
  const submit = (changes: Partial<PassLayout>, beforeExecute?: (pass: ForwardPass) => void) => () =>
    sequence.submit({ ...layout, ...changes }, sampled, beforeExecute);
  const spare = () => common.allocateResources(queue, 0, 1)[0] as number;
  const at = 'at' in breach ? breach.at : 0;
  const withPage = (pointer: number) =>
    layout.pages.map((page, index) => (index === at % layout.pages.length ? pointer : page));
  const masks = layout.masks ?? layout.tokens.map((_, offset) => [(layout.positions[offset] ?? 0) + 1]);
  const withMask = (which: number, mask: number[]) =>
    masks.map((old, index) => (index === which ? mask : old));
  switch (breach.kind) {
    case 'foreign page': {
      const [foreign = 0] = stranger.common.allocateResources(stranger.queue, 0, 1);
      return { call: 'kv-cache', value: `pointer ${foreign}`, make: submit({ pages: withPage(foreign) }) };
    }
    case 'freed page': {
      const freed = spare();
      common.deallocateResources(queue, 0, u32([freed]));
      return { call: 'kv-cache', value: `pointer ${freed}`, make: submit({ pages: withPage(freed) }) };
    }
    case 'freed before execute': {
      const freed = spare();
      const free = () => common.deallocateResources(queue, 0, u32([freed]));
      return { call: 'kv-cache', value: `pointer ${freed}`, make: submit({ pages: withPage(freed) }, free) };
    }
    case 'unknown page':
      return {
        call: 'kv-cache',
        value: `pointer ${0xffff_ffff}`,
        make: submit({ pages: withPage(0xffff_ffff) }),
      };
    case 'last page length + 1': {
      const lastPageLength = layout.lastPageLength + 1;
      const make = submit({ lastPageLength });
      if (lastPageLength > pageSize)
        return { call: 'kv-cache', value: `last-kv-page-len ${lastPageLength}`, make };
      // The inputs move one slot on: their masks fall one short, or the first attends to an unwritten slot.
      if (layout.masks !== undefined) return { call: 'attention-mask', value: 'mask 0 covers', make };
      return { call: 'forward-pass.execute', value: 'which was never written', make };
    }
    case 'last page length 0':
      return { call: 'kv-cache', value: 'last-kv-page-len 0', make: submit({ lastPageLength: 0 }) };
    case 'mask length': {
      const which = at % masks.length;
      const covers = (masks[which]?.[0] ?? 0) + breach.delta;
      return {
        call: 'attention-mask',
        value: `mask ${which} covers ${covers} slots`,
        make: submit({ masks: withMask(which, [covers]) }),
      };
    }
    case 'mask count': {
      const changed = breach.delta < 0 ? masks.slice(1) : [...masks, [1]];
      return {
        call: 'attention-mask',
        value: `${changed.length} masks for ${masks.length} inputs`,
        make: submit({ masks: changed }),
      };
    }
    case 'mask not canonical': {
      const which = at % masks.length;
      const [covers = 1] = masks[which] ?? [];
      const broken = {
        'leading zeros': [0, 0, covers],
        'trailing zeros': [covers, 0, 0],
        'split run': [Math.ceil(covers / 2), 0, Math.floor(covers / 2)],
      }[breach.shape];
      return {
        call: 'attention-mask',
        value: `mask ${which} [${broken.join(', ')}]`,
        make: submit({ masks: withMask(which, broken) }),
      };
    }
    case 'mask twice':
      return {
        call: 'attention-mask',
        value: 'already has a mask',
        make: submit({ masks }, (pass) => forward.attentionMask(pass, [u32([1])])),
      };
    case 'positions count':
      return {
        call: 'input-tokens',
        value: `${layout.tokens.length} tokens but ${layout.tokens.length + 1} positions`,
        make: submit({ positions: [...layout.positions, 0] }),
      };
    case 'no inputs':
      return {
        call: 'forward-pass.execute',
        value: 'no inputs',
        make: submit({ tokens: [], positions: [], masks: undefined, outputIndices: [] }),
      };
    case 'no kv-cache':
      return {
        call: 'forward-pass.execute',
        value: 'no kv-cache',
        make: () => {
          const pass = forward.createForwardPass(queue);
          forward.inputTokens(pass, u32(layout.tokens), u32(layout.positions));
          forward.outputTokens(pass, u32(layout.outputIndices), 0);
          return run(guest, pass);
        },
      };
    case 'foreign pass':
      return {
        call: 'kv-cache',
        value: 'not one this host made',
        make: () =>
          forward.kvCache(
            stranger.forward.createForwardPass(stranger.queue),
            u32(layout.pages),
            layout.lastPageLength,
          ),
      };
    case 'token outside vocabulary': {
      const token = vocabSize + breach.excess;
      const which = at % layout.tokens.length;
      return {
        call: 'input-tokens',
        value: `token ${token}`,
        make: submit({ tokens: layout.tokens.map((old, index) => (index === which ? token : old)) }),
      };
    }
    case 'output index': {
      const outputIndex = layout.tokens.length + breach.excess;
      return {
        call: 'output-tokens',
        value: `output index ${outputIndex}`,
        make: submit({ outputIndices: [outputIndex] }),
      };
    }
    case 'long page list': {
      const unknown = 0xffff_fff0;
      return {
        call: 'kv-cache',
        value: `pointer ${unknown}`,
        make: submit({ pages: [...layout.pages, ...new Array<number>(longList).fill(unknown)] }),
      };
    }
    case 'long mask list':
      return {
        call: 'attention-mask',
        value: `${longList} masks for ${layout.tokens.length} inputs`,
        make: submit({ masks: new Array<number[]>(longList).fill([1]) }),
      };
    case 'long output list':
      return {
        call: 'output-tokens',
        value: `output index ${longList}`,
        make: submit({ outputIndices: [...new Array<number>(longList).fill(0), longList] }),
      };
    case 'long input list': {
      const tokens = new Array<number>(longList).fill(1);
      return {
        call: 'kv-cache',
        value: `fewer than the ${longList} inputs`,
        make: submit({ tokens, positions: tokens.map((_, offset) => offset), masks: undefined }),
      };
    }
  }
}

/** A host of the small model with an instance driving a sequence, and a stranger instance beside it. */
function setup(pageSize: number, seed: number) {
  const host = createHost({ models: [smallModel(pageSize, vocabSize)], seed });
  const owner = guestOf(host.createInstance({ id: 'owner' }));
  return {
    owner,
    stranger: guestOf(host.createInstance({ id: 'stranger' })),
    sequence: new Sequence(owner, pageSize),
  };
}

/** What `make` threw; it must be an `Error` whose message starts with the call and names the value. */
function expectRefused({ call, value, make }: Attempt, context: string): void {
  let thrown: unknown;
  try {
    make();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `${context}: refused`).toBeInstanceOf(Error);
  const { message } = thrown as Error;
  expect(message.startsWith(`inferlet:core/forward.${call}:`), `${context}: "${message}" names ${call}`).toBe(
    true,
  );
  expect(message, context).toContain(value);
}

describe('the forward-pass contract under random breaches', () => {
  it('refuses each breach, naming the call and the value; a refused pass changes nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(step, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (pageSize, steps, seed) => {
          const breached = setup(pageSize, seed);
          const clean = setup(pageSize, seed);
          steps.forEach(({ tokens, withMask, sampled, breaches }, index) => {
            const layout = breached.sequence.layout(tokens, withMask);
            for (const each of breaches) {
              const context = `step ${index}, ${JSON.stringify(each)}`;
              expectRefused(attempt(breached.sequence, breached.stranger, layout, sampled, each), context);
            }
            const outputs = breached.sequence.advance(layout, sampled);
            expect(outputs, `step ${index}`).toEqual(
              clean.sequence.advance(clean.sequence.layout(tokens, withMask), sampled),
            );
            expect(breached.owner.instance.stats(), `step ${index}`).toEqual(clean.owner.instance.stats());
          });
          for (const { owner, sequence } of [breached, clean]) {
            owner.common.deallocateResources(owner.queue, 0, u32(sequence.pages));
            expect(owner.instance.stats()).toEqual({ kvPages: 0, embeddings: 0, adapters: 0 });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
