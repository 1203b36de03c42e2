import { byteLevelCodePoints } from '@inferlib/support';
import { describe, expect, it } from 'vitest';
import { createHost } from '../src/index.ts';
import { guestOf, newGuest, run, smallModel, u32 } from './fixture.ts';

const forwardError = (call: string) => new RegExp(`^inferlet:core/forward\\.${call}`);

/** A guest with one page of 4 slots, 3 of them written by a first pass. */
function primed() {
  const guest = newGuest({ models: [smallModel(4)] });
  const [page] = guest.common.allocateResources(guest.queue, 0, 1);
  const pass = guest.forward.createForwardPass(guest.queue);
  guest.forward.kvCache(pass, u32([page ?? 0]), 3);
  guest.forward.inputTokens(pass, u32([1, 2, 3]), u32([0, 1, 2]));
  guest.forward.outputTokens(pass, u32([2]), 0);
  expect(run(guest, pass)?.getTokens()).toHaveLength(1);
  return { guest, page: page ?? 0, pass: guest.forward.createForwardPass(guest.queue) };
}

describe('passes that ask for no output, as Pie answers them', () => {
  it('execute gives none at once, even with device time, and for an output request of no index', () => {
    const guest = newGuest({ models: [smallModel(4)], forwardLatencyMs: 200 });
    const pages = guest.common.allocateResources(guest.queue, 0, 2);
    const started = performance.now();
    const prefill = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(prefill, u32([pages[0] ?? 0]), 3);
    guest.forward.inputTokens(prefill, u32([1, 2, 3]), u32([0, 1, 2]));
    expect(prefill.execute()).toBeUndefined();
    const emptyRequest = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(emptyRequest, u32([pages[0] ?? 0]), 4);
    guest.forward.inputTokens(emptyRequest, u32([4]), u32([3]));
    guest.forward.outputTokens(emptyRequest, u32([]), 0);
    guest.forward.outputDistributions(emptyRequest, u32([]), 1, undefined);
    expect(emptyRequest.execute()).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('a pass asking for output right after one that asked for none is refused, naming both', () => {
    const guest = newGuest({ models: [smallModel(4)] });
    const pages = guest.common.allocateResources(guest.queue, 0, 2);
    const pass = (cache: number[], last: number, tokens: number[], start: number, output: boolean) => {
      const created = guest.forward.createForwardPass(guest.queue);
      guest.forward.kvCache(created, u32(cache), last);
      guest.forward.inputTokens(created, u32(tokens), u32(tokens.map((_, index) => start + index)));
      if (output) guest.forward.outputTokens(created, u32([tokens.length - 1]), 0);
      return created;
    };
    const [first = 0, second = 0] = pages;
    expect(pass([first], 2, [1, 2], 0, false).execute()).toBeUndefined();
    expect(pass([first], 3, [3], 2, false).execute()).toBeUndefined();
    expect(() => pass([first], 4, [4], 3, true).execute()).toThrow(
      /^inferlet:core\/forward\.forward-pass\.execute: this pass asks for output right after a pass on model small-4 that asked for none \(1 input\(s\) at position 2\).*Pie's batcher would hand this pass that pass's empty response/,
    );
    // As in Pie, where the refused pass would have taken the empty response, the next passes are answered.
    expect(run(guest, pass([first], 4, [4], 3, true))?.getTokens()).toHaveLength(1);
    expect(run(guest, pass([first, second], 1, [5], 4, true))?.getTokens()).toHaveLength(1);
  });
});

describe('forward-pass strictness: each broken rule is an error naming the call and the value', () => {
  it('last-kv-page-len outside 1..page size', () => {
    const { guest, page, pass } = primed();
    expect(() => guest.forward.kvCache(pass, u32([page]), 0)).toThrow(/last-kv-page-len 0 is outside 1\.\.4/);
    expect(() => guest.forward.kvCache(pass, u32([page]), 5)).toThrow(/last-kv-page-len 5 is outside 1\.\.4/);
  });

  it('fewer cache slots than inputs', () => {
    const { guest, page, pass } = primed();
    guest.forward.kvCache(pass, u32([page]), 2);
    guest.forward.inputTokens(pass, u32([4, 5, 6]), u32([2, 3, 4]));
    expect(() => pass.execute()).toThrow(/hold 2 slots, fewer than the 3 inputs/);
  });

  it('a mask count that is not one per input, and a mask of the wrong length', () => {
    const { guest, page, pass } = primed();
    guest.forward.kvCache(pass, u32([page]), 4);
    guest.forward.inputTokens(pass, u32([4]), u32([3]));
    guest.forward.attentionMask(pass, [u32([4]), u32([4])]);
    expect(() => pass.execute()).toThrow(/2 masks for 1 inputs/);
    const second = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(second, u32([page]), 4);
    guest.forward.inputTokens(second, u32([4]), u32([3]));
    guest.forward.attentionMask(second, [u32([2, 1])]);
    expect(() => second.execute()).toThrow(
      /mask 0 covers 3 slots, but input 0 sits at slot 3 so its mask must cover 4/,
    );
  });

  it('a mask that is not canonical BRLE: a zero-length run other than the first (found by contract-fuzz)', () => {
    const { guest, pass } = primed();
    expect(() => guest.forward.attentionMask(pass, [u32([0, 4]), u32([2, 0, 2])])).toThrow(
      /^inferlet:core\/forward\.attention-mask: mask 1 \[2, 0, 2\] is not canonical BRLE/,
    );
  });

  it('a refused pass writes nothing to the cache (found by contract-fuzz)', () => {
    const { guest, page, pass } = primed();
    // Refused for its output index, after its input would have been written to slot 3.
    guest.forward.kvCache(pass, u32([page]), 4);
    guest.forward.inputTokens(pass, u32([4]), u32([3]));
    guest.forward.outputTokens(pass, u32([1]), 0);
    expect(() => pass.execute()).toThrow(/output index 1/);
    const [next = 0] = guest.common.allocateResources(guest.queue, 0, 1);
    const reader = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(reader, u32([page, next]), 1);
    guest.forward.inputTokens(reader, u32([5]), u32([4]));
    expect(() => reader.execute()).toThrow(`KV slot 3 of page ${page}, which was never written`);
  });

  it('reading a KV slot never written', () => {
    const guest = newGuest({ models: [smallModel(4)] });
    const pages = [...guest.common.allocateResources(guest.queue, 0, 1)];
    const pass = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(pass, u32(pages), 3);
    guest.forward.inputTokens(pass, u32([7]), u32([2]));
    expect(() => pass.execute()).toThrow(
      `input 0 attends to KV slot 0 of page ${pages[0]}, which was never written`,
    );
  });

  it('an output index outside the inputs, and mismatched token/position counts', () => {
    const { guest, page, pass } = primed();
    expect(() => guest.forward.inputTokens(pass, u32([4, 5]), u32([3]))).toThrow(/2 tokens but 1 positions/);
    guest.forward.kvCache(pass, u32([page]), 4);
    guest.forward.inputTokens(pass, u32([4]), u32([3]));
    guest.forward.outputTokens(pass, u32([1]), 0);
    expect(() => pass.execute()).toThrow(/output index 1 is outside the pass's 1 inputs/);
  });

  it('a token outside the vocabulary, a pass without inputs or cache, a pass executed twice', () => {
    const { guest, page, pass } = primed();
    expect(() => guest.forward.inputTokens(pass, u32([48]), u32([3]))).toThrow(
      /token 48 is outside the vocabulary/,
    );
    expect(() => pass.execute()).toThrow(/no inputs/);
    const noCache = guest.forward.createForwardPass(guest.queue);
    guest.forward.inputTokens(noCache, u32([1]), u32([0]));
    expect(() => noCache.execute()).toThrow(/no kv-cache/);
    const once = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(once, u32([page]), 4);
    guest.forward.inputTokens(once, u32([4]), u32([3]));
    once.execute();
    expect(() => once.execute()).toThrow(/already executed/);
    expect(() => guest.forward.outputTokens(once, u32([0]), 0)).toThrow(forwardError('output-tokens'));
  });

  it('sampler parameters out of range', () => {
    const { guest, pass } = primed();
    expect(() => guest.forward.outputTokens(pass, u32([0]), -1)).toThrow(/temperature -1/);
    expect(() => guest.forward.outputTokensTopK(pass, u32([0]), 1, 0)).toThrow(/top-k 0/);
    expect(() => guest.forward.outputTokensTopP(pass, u32([0]), 1, 0)).toThrow(/top-p 0 must be in \(0, 1\]/);
    expect(() => guest.forward.outputTokensMinP(pass, u32([0]), 1, 1.5)).toThrow(/min-p 1.5/);
    expect(() => guest.forward.outputTokensTopKTopP(pass, u32([0]), 1, 3, 2)).toThrow(/top-p 2/);
  });
});

describe('resources', () => {
  it('unknown, freed, foreign and mistyped pointers are named', () => {
    const host = createHost({ models: [smallModel(4)] });
    const owner = guestOf(host.createInstance({ id: 'owner' }));
    const other = guestOf(host.createInstance({ id: 'other' }));
    const [page] = owner.common.allocateResources(owner.queue, 0, 1);
    const [embedding] = owner.common.allocateResources(owner.queue, 1, 1);
    const pass = other.forward.createForwardPass(other.queue);
    expect(() => other.forward.kvCache(pass, u32([page ?? 0]), 1)).toThrow(
      `pointer ${page} is a KV page of instance owner, not of this instance`,
    );
    expect(() =>
      owner.forward.kvCache(owner.forward.createForwardPass(owner.queue), u32([embedding ?? 0]), 1),
    ).toThrow(`pointer ${embedding} is a embedding, not a KV page`);
    expect(() => owner.common.deallocateResources(owner.queue, 0, u32([999]))).toThrow(
      'pointer 999 is not a resource this host handed out',
    );
    owner.common.deallocateResources(owner.queue, 0, u32([page ?? 0]));
    expect(() => owner.common.deallocateResources(owner.queue, 0, u32([page ?? 0]))).toThrow(
      `pointer ${page} (KV page) was already freed`,
    );
    expect(() => owner.common.allocateResources(owner.queue, 3, 1)).toThrow(/resource type 3 is none of/);
    expect(owner.instance.stats()).toEqual({ kvPages: 0, embeddings: 1, adapters: 0 });
  });

  it('a page list resolved for the previous pass is checked again once a page was freed', () => {
    const { guest, page, pass } = primed();
    guest.common.deallocateResources(guest.queue, 0, u32([page]));
    // The same list as the primed pass, which resolved it.
    expect(() => guest.forward.kvCache(pass, u32([page]), 4)).toThrow(
      `inferlet:core/forward.kv-cache: pointer ${page} (KV page) was already freed`,
    );
    const [fresh = 0] = guest.common.allocateResources(guest.queue, 0, 1);
    const write = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(write, u32([fresh]), 1);
    guest.forward.inputTokens(write, u32([1]), u32([0]));
    guest.forward.outputTokens(write, u32([0]), 0);
    // Freed after kv-cache named it, before execute.
    guest.common.deallocateResources(guest.queue, 0, u32([fresh]));
    expect(() => write.execute()).toThrow(`pointer ${fresh} (KV page) was already freed`);
  });

  it('KV pages exported by one instance are imported by another and read the same cache', () => {
    const host = createHost({ models: [smallModel(4)] });
    const writer = guestOf(host.createInstance({ id: 'writer' }));
    const reader = guestOf(host.createInstance({ id: 'reader' }));
    const pages = writer.common.allocateResources(writer.queue, 0, 2);
    const prefill = writer.forward.createForwardPass(writer.queue);
    writer.forward.kvCache(prefill, pages, 2);
    writer.forward.inputTokens(prefill, u32([3, 4, 5, 3, 4, 5]), u32([0, 1, 2, 3, 4, 5]));
    writer.forward.outputTokens(prefill, u32([5]), 0);
    run(writer, prefill);
    writer.common.exportResources(writer.queue, 0, pages, 'prefix');
    expect(() => writer.common.exportResources(writer.queue, 0, pages, 'prefix')).toThrow(
      /"prefix" is already exported/,
    );
    expect(reader.common.getAllExportedResources(reader.queue, 0)).toEqual([['prefix', 2]]);
    expect(() => reader.common.importResources(reader.queue, 0, 'nope')).toThrow(
      /no KV page export named "nope"/,
    );
    const imported = reader.common.importResources(reader.queue, 0, 'prefix');
    const decode = (guest: typeof reader, cache: Uint32Array) => {
      const pass = guest.forward.createForwardPass(guest.queue);
      guest.forward.kvCache(pass, cache, 4);
      guest.forward.inputTokens(pass, u32([3, 4]), u32([6, 7]));
      guest.forward.outputDistributions(pass, u32([1]), 1, 5);
      return run(guest, pass)?.getDistributions();
    };
    // The pages are shared: the reader's pass writes slots 6 and 7 that the writer's pass then rewrites alike.
    expect(decode(reader, imported)).toEqual(decode(writer, pages));
    reader.common.releaseExportedResources(reader.queue, 0, 'prefix');
    expect(reader.common.getAllExportedResources(reader.queue, 0)).toEqual([]);
    expect(() => reader.common.releaseExportedResources(reader.queue, 0, 'prefix')).toThrow(
      /no KV page export named/,
    );
    expect(host.stats()).toEqual({
      writer: { kvPages: 2, embeddings: 0, adapters: 0 },
      reader: { kvPages: 2, embeddings: 0, adapters: 0 },
    });
    reader.instance.end();
    writer.instance.end();
    expect(host.stats()).toEqual({});
  });

  it('embeddings round-trip: an output embedding fed back as input acts as its token', () => {
    const guest = newGuest({ models: [smallModel(8)] });
    const pages = guest.common.allocateResources(guest.queue, 0, 1);
    const embeddings = guest.common.allocateResources(guest.queue, 1, 1);
    const first = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(first, pages, 3);
    guest.forward.inputTokens(first, u32([9, 10, 11]), u32([0, 1, 2]));
    guest.forward.outputEmbeddings(first, embeddings, u32([1]));
    guest.forward.outputTokens(first, u32([2]), 0);
    run(guest, first);
    const byEmbedding = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(byEmbedding, pages, 4);
    guest.forward.inputEmbeddings(byEmbedding, embeddings, u32([3]));
    guest.forward.outputDistributions(byEmbedding, u32([0]), 1, 5);
    const viaEmbedding = run(guest, byEmbedding)?.getDistributions();
    const byToken = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(byToken, pages, 4);
    guest.forward.inputTokens(byToken, u32([10]), u32([3]));
    guest.forward.outputDistributions(byToken, u32([0]), 1, 5);
    expect(run(guest, byToken)?.getDistributions()).toEqual(viaEmbedding);
    const empty = guest.common.allocateResources(guest.queue, 1, 1);
    const unset = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(unset, pages, 4);
    guest.forward.inputEmbeddings(unset, empty, u32([3]));
    expect(() => unset.execute()).toThrow(`embedding pointer ${empty[0]} holds no embedding yet`);
  });
});

describe('adapters and zo', () => {
  const distributionWith = (
    configure: (guest: ReturnType<typeof newGuest>, pass: never, adapter: number) => void,
  ) => {
    const guest = newGuest({ models: [smallModel(4)] });
    const [adapter] = guest.common.allocateResources(guest.queue, 2, 1);
    guest.evolve.initializeAdapter(guest.queue, adapter ?? 0, 8, 16, 4, 0.5, 0.1);
    const pages = guest.common.allocateResources(guest.queue, 0, 1);
    const pass = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(pass, pages, 2);
    guest.forward.inputTokens(pass, u32([1, 2]), u32([0, 1]));
    configure(guest, pass as never, adapter ?? 0);
    guest.forward.outputDistributions(pass, u32([1]), 1, 6);
    return run(guest, pass)?.getDistributions();
  };

  it('an adapter and its seed perturb the logits deterministically', () => {
    const plain = distributionWith(() => {});
    const adapted = distributionWith((guest, pass, adapter) => guest.adapter.setAdapter(pass, adapter));
    const seeded = (seed: bigint) =>
      distributionWith((guest, pass, adapter) => {
        guest.adapter.setAdapter(pass, adapter);
        guest.evolve.setAdapterSeed(pass, seed);
      });
    expect(adapted).not.toEqual(plain);
    expect(seeded(7n)).toEqual(seeded(7n));
    expect(seeded(7n)).not.toEqual(seeded(8n));
    const updated = distributionWith((guest, pass, adapter) => {
      guest.evolve.updateAdapter(
        guest.queue,
        adapter,
        Float32Array.of(1, 0.5),
        BigInt64Array.of(1n, 2n),
        0.2,
      );
      guest.adapter.setAdapter(pass, adapter);
    });
    expect(updated).not.toEqual(adapted);
  });

  it('takes f32 arguments as f32, as a component hands them over, whatever a caller in Node passes', () => {
    const initialized = (sigma: number, temperature: number) => {
      const guest = newGuest({ models: [smallModel(4)] });
      const [adapter = 0] = guest.common.allocateResources(guest.queue, 2, 1);
      guest.evolve.initializeAdapter(guest.queue, adapter, 8, 16, 4, 0.5, sigma);
      const pages = guest.common.allocateResources(guest.queue, 0, 1);
      const pass = guest.forward.createForwardPass(guest.queue);
      guest.forward.kvCache(pass, pages, 2);
      guest.forward.inputTokens(pass, u32([1, 2]), u32([0, 1]));
      guest.adapter.setAdapter(pass, adapter);
      guest.forward.outputDistributions(pass, u32([1]), temperature, 6);
      return run(guest, pass)?.getDistributions();
    };
    expect(initialized(0.1, 0.7)).toEqual(initialized(Math.fround(0.1), Math.fround(0.7)));
    expect(initialized(0.1, 0.7)).not.toEqual(initialized(0.1000001, 0.7));
  });

  it('upload sets adapter weights from a blob; download saves them on the host under a name', () => {
    const host = createHost({ models: [smallModel(4)] });
    const guest = guestOf(host.createInstance());
    const [adapter] = guest.common.allocateResources(guest.queue, 2, 1);
    expect(() => guest.adapter.downloadAdapter(guest.queue, adapter ?? 0, 'a')).toThrow(/has no weights yet/);
    guest.adapter.uploadAdapter(
      guest.queue,
      adapter ?? 0,
      'a',
      new guest.common.Blob(Uint8Array.of(1, 2, 3, 4)),
    );
    guest.adapter.downloadAdapter(guest.queue, adapter ?? 0, 'saved');
    expect(host.adapterCheckpoints.get('saved')).toEqual(Uint8Array.of(1, 2, 3, 4));
    const blob = new guest.common.Blob(Uint8Array.of(5, 6));
    expect([...blob.read(1n, 10n)]).toEqual([6]);
    expect(() => blob.read(3n, 1n)).toThrow(/offset 3 is past the end/);
    expect(() =>
      guest.evolve.updateAdapter(guest.queue, adapter ?? 0, Float32Array.of(1), BigInt64Array.of(1n, 2n), 1),
    ).toThrow(/1 scores but 2 seeds/);
    expect(() => guest.evolve.initializeAdapter(guest.queue, adapter ?? 0, 0, 1, 1, 0.5, 0.1)).toThrow(
      /rank 0/,
    );
  });
});

describe('queues, latency and synchronization', () => {
  it('a forward pass takes the simulated device time, and synchronize waits for the queue', () => {
    const guest = newGuest({ models: [smallModel(4)], forwardLatencyMs: 40 });
    const pages = guest.common.allocateResources(guest.queue, 0, 1);
    const pass = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(pass, pages, 1);
    guest.forward.inputTokens(pass, u32([1]), u32([0]));
    guest.forward.outputTokens(pass, u32([0]), 0);
    const result = pass.execute();
    expect(result?.pollable().ready()).toBe(false);
    expect(() => result?.getTokens()).toThrow(/before the result's pollable is ready/);
    const sync = guest.queue.synchronize();
    expect(sync.get()).toBeUndefined();
    sync.pollable().block();
    expect(sync.get()).toBe(true);
    expect(result?.pollable().ready()).toBe(true);
    expect(result?.getTokens()?.length).toBe(1);
    expect(result?.getDistributions()).toBeUndefined();
    expect(guest.instance.stats().kvPages).toBe(1);
    guest.queue.setPriority('high');
    expect(guest.queue.debugQuery('priority').get()).toBe('high');
    expect(guest.queue.getServiceId()).toBe(0);
  });
});

describe('messages and topics', () => {
  it('the client and the inferlet exchange messages and blobs', () => {
    const guest = newGuest();
    guest.message.send('hello client');
    guest.message.sendBlob(new guest.common.Blob(Uint8Array.of(7)));
    expect(guest.instance.sent).toEqual([
      { kind: 'message', text: 'hello client' },
      { kind: 'blob', bytes: Uint8Array.of(7) },
    ]);
    const pending = guest.message.receive();
    expect(pending.pollable().ready()).toBe(false);
    expect(() => pending.pollable().block()).toThrow(
      /waiting for a message from the client, which can never come/,
    );
    guest.instance.pushMessage('first');
    guest.instance.pushMessage('second');
    expect(pending.get()).toBe('first');
    expect(pending.get()).toBe('first');
    expect(guest.message.receive().get()).toBe('second');
    guest.instance.pushBlob(Uint8Array.of(1, 2));
    expect([...(guest.message.receiveBlob().get()?.read(0n, 2n) ?? [])]).toEqual([1, 2]);
  });

  it('broadcasts reach every subscriber of the topic until it unsubscribes', () => {
    const host = createHost({ models: [] });
    const [a, b] = [host.createInstance(), host.createInstance()].map(
      (instance) => instance.imports['inferlet:core/message'] as ReturnType<typeof guestOf>['message'],
    );
    const subA = a?.subscribe('news');
    const subB = b?.subscribe('news');
    b?.broadcast('news', 'one');
    b?.broadcast('sports', 'ignored');
    expect(subA?.get()).toBe('one');
    expect(subB?.get()).toBe('one');
    subA?.unsubscribe();
    a?.broadcast('news', 'two');
    expect(subA?.get()).toBeUndefined();
    expect(subB?.pollable().ready()).toBe(true);
    expect(subB?.get()).toBe('two');
  });
});

describe('tokenizer of the built-in model', () => {
  it('round-trips text with special tokens; get-vocabs as Pie gives it: byte-level strings, no special tokens', () => {
    const guest = newGuest();
    const model = guest.runtime.getModel('qwen3-reference');
    if (model === undefined) throw new Error('no built-in model');
    expect(model.getStopTokens()).toEqual(['<|im_end|>', '<|endoftext|>']);
    const tokenizer = guest.tokenize.getTokenizer(model);
    const text = '<|im_start|>user\nCafé 你好 🙂<|im_end|>';
    const tokens = tokenizer.tokenize(text);
    expect(tokens[0]).toBe(151644);
    expect(tokenizer.detokenize(tokens)).toBe(text);
    const [ids, entries] = tokenizer.getVocabs();
    expect(ids.length).toBe(151643);
    expect(ids).not.toContain(151644);
    const byId = new Map([...ids].map((id, index) => [id, new TextDecoder().decode(entries[index])]));
    // Byte-level strings: a space is `Ġ`, a newline `Ċ`, the UTF-8 of `é` two characters.
    const ordinary = tokenizer.tokenize('Café 你好\n');
    const spelled = [...ordinary].map((id) => byId.get(id) ?? '').join('');
    const byteOf = new Map(
      byteLevelCodePoints.map((codePoint, byte) => [String.fromCodePoint(codePoint), byte]),
    );
    expect(Buffer.from([...spelled].map((char) => byteOf.get(char) ?? -1)).toString('utf8')).toBe(
      'Café 你好\n',
    );
    expect(spelled).toContain('Ġ');
    expect(() => tokenizer.detokenize(u32([999_999]))).toThrow(/token 999999 is outside the vocabulary/);
    expect(tokenizer.detokenize(u32([]))).toBe('');
  });
});

describe('pass times', () => {
  it('records the instance, inputs, outputs, tokens read and times of every pass, failed ones included', () => {
    const host = createHost({ models: [smallModel(4)] });
    const guest = guestOf(host.createInstance());
    const pages = guest.common.allocateResources(guest.queue, 0, 1);
    const pass = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(pass, pages, 3);
    guest.forward.inputTokens(pass, u32([1, 2, 3]), u32([0, 1, 2]));
    guest.forward.outputTokens(pass, u32([1, 2]), 0);
    pass.execute()?.getTokens();
    const unread = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(unread, pages, 4);
    guest.forward.inputTokens(unread, u32([1]), u32([3]));
    guest.forward.outputTokens(unread, u32([0]), 0);
    unread.execute();
    const broken = guest.forward.createForwardPass(guest.queue);
    expect(() => broken.execute()).toThrow(/no inputs/);
    const times = { ms: expect.any(Number), startedAt: expect.any(Number), readyAt: expect.any(Number) };
    expect(host.passTimes).toEqual([
      { instanceId: guest.instance.id, inputs: 3, outputs: 2, tokensRead: 2, ...times },
      { instanceId: guest.instance.id, inputs: 1, outputs: 1, tokensRead: 0, ...times },
      { instanceId: guest.instance.id, inputs: 0, outputs: 0, tokensRead: 0, ...times },
    ]);
  });
});
