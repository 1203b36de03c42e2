/**
 * The soak: 10,000 contexts created, used (a user turn, two generated tokens) and dropped inside one
 * inferlet, on the library's sources in Node; no KV page may be left. `pnpm bench soak` runs the same
 * loop on the library in Node and reports time, pages and Node memory per context.
 */
import { builtinModel, createHost, type ModelSpec, qwen3Tokenizer, runInferlet } from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';
import { loadApp } from './helpers/builds.ts';

const contexts = 10_000;

/** The built-in model with logits computed once: the soak measures the library, not the reference model. */
const constantModel = (): ModelSpec => {
  const vocabSize = qwen3Tokenizer().vocabSize;
  const logits = new Float32Array(vocabSize);
  logits[264] = 1;
  return { ...builtinModel, kvPageSize: 4, languageModel: () => ({ vocabSize, logits: () => logits }) };
};

describe('soak of the context-client inferlet (node)', () => {
  it(`leaves no KV page after ${contexts} contexts created, used and dropped`, async () => {
    const client = await loadApp('test/fixtures', 'context-client', 'node');
    const instance = createHost({ models: [constantModel()] }).createInstance({
      args: ['soak', String(contexts)],
    });
    expect(await runInferlet(client, instance)).toEqual({ ok: true, returnValue: String(contexts) });
    expect(instance.stats()).toEqual({ kvPages: 0, embeddings: 0, adapters: 0 });
  });
});
