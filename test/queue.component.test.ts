import type * as Common from 'inferlet:core/common';
import type * as Runtime from 'inferlet:core/runtime';
import type * as Evolve from 'inferlet:zo/evolve';
import type * as Queues from 'inferlib:queue/queues';
import type { LoadedComponent } from '@inferlib/host-shim';
import {
  type Cutoff,
  createHost,
  distribution,
  evaluateOneShot,
  type Host,
  type ModelSpec,
  referenceModel,
  SeededRandom,
  sampleToken,
} from '@inferlib/host-shim';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModule } from './helpers/builds.ts';

const vocabSize = 48;
const oracle = referenceModel(vocabSize, 0);
const small: ModelSpec = {
  name: 'small',
  kvPageSize: 3,
  stopTokens: ['<end>'],
  languageModel: () => referenceModel(vocabSize, 0),
};

/** Runs `tokens` after `length` cached ones on `pages` (grown as needed), asking what `request` asks at the last input. */
function pass(
  queue: Queues.Queue,
  pages: number[],
  length: number,
  tokens: readonly number[],
  request: (pass: Queues.ForwardPass, last: Uint32Array) => void,
): Queues.ForwardPassResult {
  const total = length + tokens.length;
  const needed = Math.ceil(total / 3) - pages.length;
  if (needed > 0) pages.push(...queue.allocateKvPages(needed));
  const forward = queue.createForwardPass();
  forward.kvCache(Uint32Array.from(pages), total - (pages.length - 1) * 3);
  forward.inputTokens(
    Uint32Array.from(tokens),
    Uint32Array.from(tokens, (_, index) => length + index),
  );
  forward.attentionMask(tokens.map((_, index) => Uint32Array.of(length + index + 1)));
  request(forward, Uint32Array.of(tokens.length - 1));
  return forward.execute();
}

describe.each(['component', 'node'] as const)('queue (%s)', (build) => {
  let component: LoadedComponent;
  beforeAll(async () => {
    component = await loadModule('queue', build);
  });

  async function queuesIn(host: Host, id?: string) {
    const instance = host.createInstance(id === undefined ? {} : { id });
    const exports = await component.instantiate(instance.imports);
    return { instance, queues: exports.queues as typeof Queues };
  }

  it('drives a paged prefill and decode whose tokens equal the one-shot reference', async () => {
    const { instance, queues } = await queuesIn(createHost({ models: [small] }));
    const queue = queues.Queue.fromModelName('small');
    expect(queue.getServiceId()).toBe(0);
    queue.setPriority('high');
    const prompt = [3, 4, 5, 6, 7, 3, 4];
    const pages: number[] = [];
    const tokens = [...prompt];
    let result = pass(queue, pages, 0, prompt, (forward, last) => forward.outputTokens(last, 0));
    for (let step = 0; step < 8; step++) {
      const expected = distribution(evaluateOneShot(oracle, tokens).at(-1) as Float32Array, 0, 1)[0][0];
      expect(result.tokens).toEqual(Uint32Array.of(expected ?? -1));
      expect(result.distributions).toBeUndefined();
      const next = result.tokens?.[0] ?? 0;
      tokens.push(next);
      result = pass(queue, pages, tokens.length - 1, [next], (forward, last) =>
        forward.outputTokens(last, 0),
      );
    }
    expect(tokens.slice(prompt.length, prompt.length + 3)).toEqual([5, 6, 7]);
    expect(queue.synchronize()).toBe(true);
    expect(instance.stats().kvPages).toBe(pages.length);
    queue.deallocateKvPages(Uint32Array.from(pages));
    expect(instance.stats().kvPages).toBe(0);
  });

  it('samples exactly as the host samples the one-shot logits, for every sampler', async () => {
    const samplers: [string, Cutoff, (forward: Queues.ForwardPass, last: Uint32Array) => void][] = [
      ['multinomial', { kind: 'none' }, (f, last) => f.outputTokens(last, 0.8)],
      ['top-k', { kind: 'top-k', k: 3 }, (f, last) => f.outputTokensTopK(last, 0.8, 3)],
      ['top-p', { kind: 'top-p', p: 0.7 }, (f, last) => f.outputTokensTopP(last, 0.8, 0.7)],
      ['min-p', { kind: 'min-p', p: 0.1 }, (f, last) => f.outputTokensMinP(last, 0.8, 0.1)],
      [
        'top-k-top-p',
        { kind: 'top-k-top-p', k: 4, p: 0.6 },
        (f, last) => f.outputTokensTopKTopP(last, 0.8, 4, 0.6),
      ],
    ];
    for (const [name, cutoff, request] of samplers) {
      const { queues } = await queuesIn(createHost({ models: [small], seed: 42 }));
      const queue = queues.Queue.fromModelName('small');
      const random = new SeededRandom(42);
      const tokens = [9, 8, 7, 9, 8];
      const pages: number[] = [];
      let length = 0;
      let input = [...tokens];
      for (let step = 0; step < 6; step++) {
        const sampled = pass(queue, pages, length, input, request).tokens?.[0];
        const expected = sampleToken(
          evaluateOneShot(oracle, tokens).at(-1) as Float32Array,
          0.8,
          cutoff,
          random,
        );
        expect(sampled, `${name} step ${step}`).toBe(expected);
        length += input.length;
        tokens.push(expected);
        input = [expected];
      }
    }
  });

  it('returns distributions with and without top-k, and nothing for a pass without outputs', async () => {
    const { queues } = await queuesIn(createHost({ models: [small] }));
    const queue = queues.Queue.fromModelName('small');
    const pages: number[] = [];
    const logits = evaluateOneShot(oracle, [1, 2, 3, 1]).at(-1) as Float32Array;
    const topThree = pass(queue, pages, 0, [1, 2, 3, 1], (f, last) => f.outputDistributions(last, 1, 3));
    const [ids, probs] = distribution(logits, 1, 3);
    expect(topThree).toEqual({
      distributions: [{ ids: Uint32Array.from(ids), probs: Float32Array.from(probs) }],
    });
    // Without top-k, Pie's runtime asks for the 32 most probable tokens.
    const top32 = pass(queue, [], 0, [1, 2, 3, 1], (f, last) => f.outputDistributions(last, 1, undefined));
    expect(top32.distributions?.[0]?.ids).toEqual(Uint32Array.from(distribution(logits, 1, 32)[0]));
    const both = pass(queue, [], 0, [1, 2, 3, 1], (f, last) => {
      f.outputDistributions(last, 1, 2);
      f.outputTokens(last, 0);
    });
    expect(both.tokens).toEqual(Uint32Array.of(ids[0] ?? -1));
    expect(both.distributions?.[0]?.ids).toEqual(Uint32Array.from(ids.slice(0, 2)));
    expect(pass(queue, [], 0, [1, 2], () => {})).toEqual({});
  });

  it('round-trips embeddings and applies adapters and seeds', async () => {
    const host = createHost({ models: [small] });
    const { instance, queues } = await queuesIn(host);
    const queue = queues.Queue.fromModelName('small');
    const embeds = queue.allocateEmbeds(1);
    const pages = queue.allocateKvPages(2);
    const first = queue.createForwardPass();
    first.kvCache(pages, 1);
    first.inputTokens(Uint32Array.of(5, 6, 7, 8), Uint32Array.of(0, 1, 2, 3));
    first.outputEmbedPtrs(embeds, Uint32Array.of(2));
    expect(first.execute()).toEqual({});
    const next = (configure: (forward: Queues.ForwardPass) => void) => {
      const forward = queue.createForwardPass();
      forward.kvCache(pages, 2);
      configure(forward);
      forward.outputDistributions(Uint32Array.of(0), 1, 4);
      return forward.execute().distributions;
    };
    const viaToken = next((f) => f.inputTokens(Uint32Array.of(7), Uint32Array.of(4)));
    expect(next((f) => f.inputEmbedPtrs(embeds, Uint32Array.of(4)))).toEqual(viaToken);
    queue.deallocateEmbeds(embeds);
    expect(instance.stats().embeddings).toBe(0);

    // The adapter slot comes from the host directly: the queue interface has no adapter allocation.
    const runtime = instance.imports['inferlet:core/runtime'] as typeof Runtime;
    const hostQueue = (runtime.getModel('small') as Common.Model).createQueue();
    const common = instance.imports['inferlet:core/common'] as typeof Common;
    const [adapter] = common.allocateResources(hostQueue, 2, 1);
    (instance.imports['inferlet:zo/evolve'] as typeof Evolve).initializeAdapter(
      hostQueue,
      adapter ?? 0,
      4,
      8,
      2,
      0.5,
      0.1,
    );
    const adapted = (seed: bigint) =>
      next((f) => {
        f.inputTokens(Uint32Array.of(7), Uint32Array.of(4));
        f.setAdapter(adapter ?? 0);
        f.setAdapterSeed(seed);
      });
    expect(adapted(1n)).not.toEqual(viaToken);
    expect(adapted(1n)).toEqual(adapted(1n));
    expect(adapted(2n ** 63n - 1n)).not.toEqual(adapted(1n));
    if (build === 'component') {
      // componentize-js 0.23 cannot take a negative s64 argument: the call traps in its bindings (decisions.md).
      expect(() => adapted(-1n)).toThrow(WebAssembly.RuntimeError);
    } else {
      expect(adapted(-1n)).not.toEqual(adapted(1n));
    }
  });

  it('shares KV pages between instances through exports', async () => {
    const host = createHost({ models: [small] });
    const writer = (await queuesIn(host, 'writer')).queues.Queue.fromModelName('small');
    const reader = (await queuesIn(host, 'reader')).queues.Queue.fromModelName('small');
    const pages: number[] = [];
    pass(writer, pages, 0, [1, 2, 3, 4, 1, 2], () => {});
    writer.exportKvPages(Uint32Array.from(pages), 'prefix');
    expect(reader.getAllExportedKvPages()).toEqual([['prefix', 2]]);
    const imported = [...reader.importKvPages('prefix')];
    expect(imported).not.toEqual(pages);
    const continued = pass(reader, imported, 6, [3], (f, last) => f.outputTokens(last, 0));
    const expected = distribution(
      evaluateOneShot(oracle, [1, 2, 3, 4, 1, 2, 3]).at(-1) as Float32Array,
      0,
      1,
    )[0];
    expect(continued.tokens).toEqual(Uint32Array.from(expected));
    reader.releaseExportedKvPages('prefix');
    expect(writer.getAllExportedKvPages()).toEqual([]);
  });
});
