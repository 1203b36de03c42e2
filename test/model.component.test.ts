import type * as Common from 'inferlet:core/common';
import type * as Models from 'inferlib:model/models';
import { builtinModel, createHost, type ModelSpec } from '@inferlib/host-shim';
import { describe, expect, it, vi } from 'vitest';
import { loadModule } from './helpers/builds.ts';

const second: ModelSpec = {
  ...builtinModel,
  name: 'second',
  traits: ['input-text', 'vision'],
  description: 'the second model',
  promptTemplate: '{{ messages }}',
  stopTokens: ['<|endoftext|>'],
  kvPageSize: 32,
};

async function modelsOf(specs: readonly ModelSpec[], build: 'component' | 'node') {
  const component = await loadModule('model', build);
  const instance = createHost({ models: specs }).createInstance();
  const hostModel = (instance.imports['inferlet:core/common'] as typeof Common).Model.prototype;
  const hostCalls = {
    getName: vi.spyOn(hostModel, 'getName'),
    getStopTokens: vi.spyOn(hostModel, 'getStopTokens'),
  };
  const exports = await component.instantiate(instance.imports);
  return { models: exports.models as typeof Models, hostCalls };
}

describe.each(['component', 'node'] as const)('model (%s)', (build) => {
  it('lists, finds and describes the served models', async () => {
    const { models, hostCalls } = await modelsOf([builtinModel, second], build);
    expect(models.Model.getAllNames()).toEqual(['qwen3-reference', 'second']);
    expect(models.Model.getByName('nope')).toBeUndefined();
    const auto = models.Model.getAuto();
    expect(auto.getName()).toBe('qwen3-reference');
    const model = models.Model.getByName('second');
    if (model === undefined) throw new Error('second model missing');
    expect(model.getName()).toBe('second');
    expect(model.getName()).toBe('second');
    expect(model.getTraits()).toEqual(['input-text', 'vision']);
    expect(model.getDescription()).toBe('the second model');
    expect(model.getPromptTemplate()).toBe('{{ messages }}');
    expect(model.hasTraits([])).toBe(true);
    expect(model.hasTraits(['vision', 'input-text'])).toBe(true);
    expect(model.hasTraits(['vision', 'audio'])).toBe(false);
    expect(model.getServiceId()).toBe(1);
    expect(model.getKvPageSize()).toBe(32);
    expect(model.eosTokens()).toEqual([Uint32Array.of(151643)]);
    expect(auto.eosTokens()).toEqual([Uint32Array.of(151645), Uint32Array.of(151643)]);
    // Fetched once per model handle: two handles, each asked several things.
    expect(hostCalls.getName).toHaveBeenCalledTimes(2);
    expect(hostCalls.getStopTokens).toHaveBeenCalledTimes(2);
  });

  it('tokenizes with the model tokenizer, also after the model handle is dropped', async () => {
    const { models } = await modelsOf([builtinModel], build);
    const model = models.Model.getAuto();
    const tokenizer = model.getTokenizer();
    const other = model.getTokenizer();
    model[Symbol.dispose]();
    const tokens = tokenizer.tokenize('<|im_start|>user\nHéllo 🙂<|im_end|>');
    expect(tokens[0]).toBe(151644);
    expect(other.detokenize(tokens)).toBe('<|im_start|>user\nHéllo 🙂<|im_end|>');
    other[Symbol.dispose]();
    // As Pie gives it: the byte-level strings of the ordinary tokens (`Ġ` for a space), no special token.
    const [ids, entries] = tokenizer.getVocabs();
    expect(ids.length).toBe(151_643);
    expect(entries.length).toBe(151_643);
    expect(ids.indexOf(151645)).toBe(-1);
    const [space] = tokenizer.tokenize(' ');
    expect(new TextDecoder().decode(entries[ids.indexOf(space ?? -1)])).toBe('Ġ');
  });
});
