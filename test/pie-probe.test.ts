import {
  builtinModel,
  createHost,
  distribution,
  type KvEntry,
  qwen3Tokenizer,
  referenceModel,
  runInferlet,
} from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';
import { loadApp } from './helpers/builds.ts';

/** What the probe returns (test/fixtures/pie-probe/src/component.ts). */
interface ProbeRecord {
  readonly kind: 'generated' | 'distribution';
  readonly label: string;
  readonly tokens: number[];
  readonly from?: number;
  readonly sampler?: { readonly tag: string; readonly val?: number | number[] };
  readonly temperature?: number;
  readonly topK?: number;
  readonly ids?: number[];
  readonly probs?: number[];
}

const tokenizer = qwen3Tokenizer();
const model = referenceModel(tokenizer.vocabSize, tokenizer.encode('<|im_end|>')[0] ?? 0);
const host = () => createHost({ models: [{ ...builtinModel, languageModel: () => model }] });

/** The model's logits after `tokens`, as a plain causal sequence: what any paged run must give. */
const logitsAfter = (tokens: readonly number[]): Float32Array => {
  const entries: KvEntry[] = tokens.map((token, position) => ({ token, position }));
  return model.logits({ input: entries.at(-1) as KvEntry, visible: entries, adapter: undefined });
};

const argmax = (logits: Float32Array): number =>
  logits.reduce((best, x, i) => (x > (logits[best] ?? 0) ? i : best), 0);

async function runProbe(args: string[]) {
  const app = await loadApp('test/fixtures', 'pie-probe', 'node');
  return runInferlet(app, host().createInstance({ args }));
}

// The probe of `pnpm pie-check --real-model`, on the host-shim in Node: every scenario runs, and what it returns
// passes the check verify_tokens.py makes against transformers on Pie, here against the host-shim's own model.
describe('pie-probe', () => {
  it('names its scenarios when given none it knows', async () => {
    expect(await runProbe(['no-such-scenario'])).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /^pie-probe: expected one scenario of fill, messages, .*prompt-lookup; got/,
      ),
    });
  });

  it('returns token ids and distributions that are the model’s, in every scenario', async () => {
    const refusal = await runProbe([]);
    const scenarios = /expected one scenario of (.*); got/
      .exec(refusal.ok ? '' : refusal.error)?.[1]
      ?.split(', ');
    expect(scenarios?.length).toBeGreaterThan(5);
    for (const scenario of scenarios ?? []) {
      const outcome = await runProbe([scenario]);
      expect(outcome, scenario).toMatchObject({ ok: true });
      const { records } = JSON.parse((outcome.ok ? outcome.returnValue : undefined) ?? '{}') as {
        records: ProbeRecord[];
      };
      expect(records.length, scenario).toBeGreaterThan(0);
      for (const record of records) {
        const where = `${scenario}: ${record.label}`;
        if (record.kind === 'distribution') {
          // The temperature as Pie takes it (an f32), as the host-shim does.
          const [ids, probs] = distribution(
            logitsAfter(record.tokens),
            Math.fround(record.temperature ?? 1),
            record.topK ?? 0,
          );
          expect(record.ids, where).toEqual(ids);
          expect(record.probs, where).toEqual([...Float32Array.from(probs)]);
          continue;
        }
        const from = record.from ?? record.tokens.length;
        expect(from, where).toBeLessThan(record.tokens.length);
        for (let index = from; index < record.tokens.length; index++) {
          const logits = logitsAfter(record.tokens.slice(0, index));
          const token = record.tokens[index] ?? -1;
          if (record.sampler?.tag === 'greedy')
            expect(token, `${where}, token ${index}`).toBe(argmax(logits));
          else if (record.sampler?.tag === 'top-k') {
            const [temperature, k] = record.sampler.val as number[];
            expect(
              distribution(logits, Math.fround(temperature ?? 1), k ?? 1)[0],
              `${where}, token ${index}`,
            ).toContain(token);
          } else expect(token, where).toBeLessThan(tokenizer.vocabSize);
        }
      }
    }
  });
});
