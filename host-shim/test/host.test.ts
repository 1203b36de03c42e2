import type * as Common from 'inferlet:core/common';
import type * as Kvs from 'inferlet:core/kvs';
import type * as Runtime from 'inferlet:core/runtime';
import { describe, expect, it } from 'vitest';
import { createHost, HostPollable, type Instance } from '../src/index.ts';

const runtimeOf = (instance: Instance) => instance.imports['inferlet:core/runtime'] as typeof Runtime;
const kvsOf = (instance: Instance) => instance.imports['inferlet:core/kvs'] as typeof Kvs;

const models = [
  {
    name: 'llama-3.2-1b',
    traits: ['input-text', 'tokenize'],
    description: 'small',
    promptTemplate: '{{ messages }}',
    stopTokens: ['<|eot_id|>', '<|eom_id|>'],
    kvPageSize: 32,
  },
  { name: 'qwen-3-0.6b', traits: ['input-text', 'reasoning'] },
];

describe('inferlet:core/runtime', () => {
  it('answers version, instance id and arguments per instance', () => {
    const host = createHost({ version: 'pie 0.2.0' });
    const instance = host.createInstance({ args: ['-n', '8'] });
    const runtime = runtimeOf(instance);
    expect(runtime.getVersion()).toBe('pie 0.2.0');
    expect(runtime.getInstanceId()).toBe(instance.id);
    expect(instance.id).toMatch(/^[0-9a-f-]{36}$/);
    const args = runtime.getArguments();
    args.push('mutated');
    expect(runtime.getArguments()).toEqual(['-n', '8']);
    expect(runtimeOf(host.createInstance()).getArguments()).toEqual([]);
  });

  it('keeps the last set-return of each instance', () => {
    const host = createHost();
    const first = host.createInstance();
    const second = host.createInstance();
    runtimeOf(first).setReturn('a');
    runtimeOf(first).setReturn('b');
    expect(first.returnValue).toBe('b');
    expect(second.returnValue).toBeUndefined();
  });

  it('lists models in order, filters by traits and hands out model resources', () => {
    const runtime = runtimeOf(createHost({ models }).createInstance());
    expect(runtimeOf(createHost({ models: [] }).createInstance()).getAllModels()).toEqual([]);
    expect(runtimeOf(createHost().createInstance()).getAllModels()).toEqual(['qwen3-reference']);
    expect(runtime.getAllModels()).toEqual(['llama-3.2-1b', 'qwen-3-0.6b']);
    expect(runtime.getAllModelsWithTraits(['input-text'])).toEqual(['llama-3.2-1b', 'qwen-3-0.6b']);
    expect(runtime.getAllModelsWithTraits(['input-text', 'reasoning'])).toEqual(['qwen-3-0.6b']);
    expect(runtime.getAllModelsWithTraits([])).toEqual(['llama-3.2-1b', 'qwen-3-0.6b']);
    expect(runtime.getAllModelsWithTraits(['vision'])).toEqual([]);
    expect(runtime.getModel('gpt-5')).toBeUndefined();
    const model = runtime.getModel('llama-3.2-1b') as Common.Model;
    expect(model.getName()).toBe('llama-3.2-1b');
    expect(model.getTraits()).toEqual(['input-text', 'tokenize']);
    expect(model.getDescription()).toBe('small');
    expect(model.getPromptTemplate()).toBe('{{ messages }}');
    expect(model.getStopTokens()).toEqual(['<|eot_id|>', '<|eom_id|>']);
    expect(model.getServiceId()).toBe(0);
    expect(model.getKvPageSize()).toBe(32);
    const defaults = runtime.getModel('qwen-3-0.6b') as Common.Model;
    expect([defaults.getServiceId(), defaults.getKvPageSize(), defaults.getDescription()]).toEqual([
      1,
      16,
      '',
    ]);
  });

  it('answers debug queries through a ready pollable', () => {
    const instance = createHost({ models }).createInstance({ id: 'x' });
    const result = runtimeOf(instance).debugQuery('models');
    const pollable = result.pollable();
    expect(pollable).toBeInstanceOf(HostPollable);
    expect(pollable.ready()).toBe(true);
    expect(result.get()).toBe('llama-3.2-1b\nqwen-3-0.6b');
    expect(runtimeOf(instance).debugQuery('instance-id').get()).toBe('x');
    expect(runtimeOf(instance).debugQuery('nonsense').get()).toMatch(/unknown debug query "nonsense"/);
  });

  it('refuses a model registered twice or with a bad page size', () => {
    expect(() => createHost({ models: [{ name: 'a' }, { name: 'a' }] })).toThrow(/"a" is registered twice/);
    expect(() => createHost({ models: [{ name: 'a', kvPageSize: 0 }] })).toThrow(/kvPageSize 0/);
  });
});

describe('inferlet:core/kvs', () => {
  it('is one store shared by the instances of a host, and only of that host', () => {
    const host = createHost();
    const writer = kvsOf(host.createInstance());
    const reader = kvsOf(host.createInstance());
    writer.storeSet('k', 'v');
    writer.storeSet('other', '');
    expect(reader.storeGet('k')).toBe('v');
    expect(reader.storeExists('other')).toBe(true);
    expect(reader.storeListKeys()).toEqual(['k', 'other']);
    reader.storeDelete('k');
    reader.storeDelete('never-set');
    expect(writer.storeGet('k')).toBeUndefined();
    expect(writer.storeExists('k')).toBe(false);
    expect(kvsOf(createHost().createInstance()).storeListKeys()).toEqual([]);
  });
});

describe('HostPollable', () => {
  it('is not ready before its time and block() really waits for it', () => {
    const started = performance.now();
    const pollable = new HostPollable(started + 30);
    expect(pollable.ready()).toBe(false);
    pollable.block();
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
    expect(pollable.ready()).toBe(true);
  });
});
