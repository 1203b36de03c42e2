import type * as Common from 'inferlet:core/common';
import type * as Runtime from 'inferlet:core/runtime';
import type * as Evolve from 'inferlet:zo/evolve';
import type * as Queues from 'inferlib:queue/queues';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinModel } from '../../../host-shim/src/index.ts';
import { type BoundLibrary, loadBoundLibrary } from './bound-library.ts';

const greedy = { tag: 'greedy' } as const;
const pageSize = 3;

/** The library on a fresh instance, with an adapter slot the app allocated and initialized on its model. */
async function withAdapter(): Promise<{ library: BoundLibrary; adapter: number }> {
  const library = await loadBoundLibrary({ ...builtinModel, kvPageSize: pageSize });
  const { imports } = library.instance;
  const model = (imports['inferlet:core/runtime'] as typeof Runtime).getModel(library.model.getName());
  const hostQueue = (model as Common.Model).createQueue();
  const [adapter = 0] = (imports['inferlet:core/common'] as typeof Common).allocateResources(hostQueue, 2, 1);
  (imports['inferlet:zo/evolve'] as typeof Evolve).initializeAdapter(hostQueue, adapter, 4, 8, 2, 0.5, 0.125);
  return { library, adapter };
}

/**
 * The oracle: the next-token distribution after `tokens` from one forward pass of them all, with the adapter
 * and seed, through the queue module (the context runs them over several passes and pages).
 */
async function onePass(library: BoundLibrary, tokens: Uint32Array, adapter?: number, seed?: bigint) {
  const { Queue } = (await import('inferlib:queue/queues')) as typeof Queues;
  const queue = Queue.fromModelName(library.model.getName());
  const pages = queue.allocateKvPages(Math.ceil(tokens.length / pageSize));
  const pass = queue.createForwardPass();
  pass.kvCache(pages, tokens.length - (pages.length - 1) * pageSize);
  pass.inputTokens(
    tokens,
    Uint32Array.from(tokens, (_, index) => index),
  );
  if (adapter !== undefined) pass.setAdapter(adapter);
  if (seed !== undefined) pass.setAdapterSeed(seed);
  pass.outputDistributions(Uint32Array.of(tokens.length - 1), 1, 8);
  const [distribution] = pass.execute().distributions ?? [];
  queue.deallocateKvPages(pages);
  return distribution;
}

describe('adapters on a context', () => {
  it('runs every pass of the context with its adapter and seed: what one pass of its tokens with them gives', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('Echo me: one two three.', 'Copy: the quick brown fox.'),
        fc.integer({ min: 0, max: 6 }),
        fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
        async (prompt, maxTokens, seed) => {
          const { library, adapter } = await withAdapter();
          const context = new library.Context(library.model);
          library.adapters.setAdapter(context, adapter);
          library.adapters.setAdapterSeed(context, seed);
          context.fillUser(prompt);
          library.generation.complete(context, greedy, {
            maxTokens,
            eosSequences: library.model.eosTokens(),
            stopStrings: [],
          });
          const predicted = library.generation.predict(context, 1, 8);
          const tokens = context.getTokenIds();
          expect(predicted).toEqual(await onePass(library, tokens, adapter, seed));
          // The adapter changes what the model computes: the same tokens without it give another distribution.
          expect(predicted).not.toEqual(await onePass(library, tokens));
        },
      ),
      { numRuns: 12 },
    );
  });

  it('forks inherit the adapter and seed; none set again is the base model', async () => {
    const { library, adapter } = await withAdapter();
    const adapted = new library.Context(library.model);
    library.adapters.setAdapter(adapted, adapter);
    library.adapters.setAdapterSeed(adapted, 5n);
    adapted.fillUser('Echo me: one two three four five.');
    adapted.flush();
    const fork = library.generation.fork(adapted);
    const tokens = adapted.getTokenIds();
    expect(library.generation.predict(fork, 1, 8)).toEqual(await onePass(library, tokens, adapter, 5n));
    const reset = new library.Context(library.model);
    library.adapters.setAdapter(reset, adapter);
    library.adapters.setAdapter(reset, undefined);
    library.adapters.setAdapterSeed(reset, undefined);
    reset.fillUser('Echo me: one two three four five.');
    expect(library.generation.predict(reset, 1, 8)).toEqual(await onePass(library, tokens));
  });

  it('names the call of an error: a slot the instance does not hold, a dropped context', async () => {
    const { library, adapter } = await withAdapter();
    const unheld = new library.Context(library.model);
    library.adapters.setAdapter(unheld, adapter + 1000);
    unheld.fillUser('Echo me.');
    expect(() => unheld.flush()).toThrow(/inferlet:adapter\/common\.set-adapter: .*1\d{3}/);
    unheld[Symbol.dispose]();
    expect(() => library.adapters.setAdapter(unheld, adapter)).toThrow(
      'inferlib:context/adapters.set-adapter: the context was dropped',
    );
  });
});
