import { builtinModel, createHost, type LoadedComponent, runInferlet } from '@inferlib/host-shim';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBuilt } from './helpers/components.ts';

let client: LoadedComponent;

beforeAll(async () => {
  client = await loadBuilt('test/fixtures', 'host-client', 'composed');
});

describe('the host ABI through a transpiled guest', () => {
  it('runs a paged, masked greedy chat with the built-in model and echoes the user', async () => {
    for (const kvPageSize of [1, 3, 16]) {
      const host = createHost({ models: [{ ...builtinModel, kvPageSize }] });
      const instance = host.createInstance({ args: ['echo', '64'] });
      instance.pushMessage('Pages of 1, 3 and 16 tokens give the same answer.');
      const outcome = await runInferlet(client, instance);
      const answer = 'Pages of 1, 3 and 16 tokens give the same answer.<|im_end|>';
      expect(outcome, `page size ${kvPageSize}`).toEqual({ ok: true, returnValue: answer });
      expect(instance.sent).toEqual([{ kind: 'message', text: answer }]);
      expect(instance.stats()).toEqual({ kvPages: 0, embeddings: 0, adapters: 0 });
    }
  });

  it('blocks on a client message that never comes: a trap with the reason, not a hang', async () => {
    const outcome = await runInferlet(client, createHost().createInstance({ args: ['echo'] }));
    expect(outcome).toEqual({
      ok: false,
      trapped: true,
      error:
        'the inferlet trapped: wasi:io/poll.pollable.block: waiting for a message from the client, which can never come while the inferlet blocks',
    });
  });

  it('shares the key-value store between the instances of a host', async () => {
    const host = createHost({ models: [] });
    expect(await runInferlet(client, host.createInstance({ args: ['kvs'] }))).toEqual({
      ok: true,
      returnValue: 'run 1',
    });
    expect(await runInferlet(client, host.createInstance({ args: ['kvs'] }))).toEqual({
      ok: true,
      returnValue: 'run 2',
    });
    expect(host.store.get('runs')).toBe('2');
  });
});
