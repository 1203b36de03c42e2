import { createHost, qwen3Tokenizer, referenceModel, runInferlet } from '@inferlib/host-shim';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../../test/helpers/builds.ts';

const labels = ['positive', 'negative', 'neutral', 'mixed feelings'];
const prompts = ['I loved every minute of it.', 'neutral, to be honest: mixed feelings at best.'];
const question = 'Which label fits this text best?';
/** What each build printed, for the builds to agree. */
const outputs: string[] = [];

/** A label's log-probability and how far its least likely token ranks, by the reference model's logits. */
interface Expected {
  readonly logProb: number;
  readonly worstRank: number;
}

/**
 * Each label's log-probability as the answer after the conversation the app fills, computed from the
 * host-shim's reference model over the whole vocabulary: its tokens, then the end of turn.
 */
function expectedScores(prompt: string): Map<string, Expected> {
  const tokenizer = qwen3Tokenizer();
  const endOfTurn = tokenizer.encode('<|im_end|>');
  const oracle = referenceModel(tokenizer.vocabSize, endOfTurn[0] ?? 0);
  const conversation = tokenizer.encode(
    `<|im_start|>system\n${question} Answer with exactly one of: ${labels.join(', ')}.<|im_end|>\n` +
      `<|im_start|>user\n${prompt}<|im_end|>\n<|im_start|>assistant\n`,
  );
  const scores = new Map<string, Expected>();
  for (const label of labels) {
    const tokens = [...conversation, ...tokenizer.encode(label), ...endOfTurn];
    const entries = tokens.map((token, position) => ({ token, position }));
    let logProb = 0;
    let worstRank = 0;
    for (let position = conversation.length; position < tokens.length; position++) {
      const input = entries[position - 1] ?? { token: 0, position: 0 };
      const logits = oracle.logits({ input, visible: entries.slice(0, position), adapter: undefined });
      const token = tokens[position] ?? 0;
      const max = logits.reduce((a, b) => Math.max(a, b), -Infinity);
      const sum = logits.reduce((total, logit) => total + Math.exp(logit - max), 0);
      logProb += (logits[token] ?? 0) - max - Math.log(sum);
      worstRank = Math.max(worstRank, logits.filter((logit) => logit > (logits[token] ?? 0)).length);
    }
    scores.set(label, { logProb, worstRank });
  }
  return scores;
}

describe.each(['node', 'bundled', 'composed'] as const)('classify (%s)', (build) => {
  let expected: Map<string, Expected>[];
  beforeAll(() => {
    expected = prompts.map(expectedScores);
  });

  it("prints each label's log-probability as the host's model computes it, best first; the builds agree", async () => {
    const app = await loadApp('examples', 'classify', build);
    for (const [index, prompt] of prompts.entries()) {
      const outcome = await runInferlet(
        app,
        createHost().createInstance({ args: ['-p', prompt, ...labels] }),
      );
      if (!outcome.ok) throw new Error(outcome.error);
      const output = outcome.returnValue ?? '';
      const lines = output.split('\n').map((line) => {
        const [, logProb = '', label = ''] = /^(-?\d+\.\d{4}) (.*)$/.exec(line) ?? [];
        return { logProb: Number(logProb), label };
      });
      expect(lines.map(({ label }) => label).sort()).toEqual([...labels].sort());
      const logProbs = lines.map(({ logProb }) => logProb);
      expect(logProbs).toEqual([...logProbs].sort((a, b) => b - a));
      for (const { label, logProb } of lines) {
        // Printed to 4 decimals; each token's log-probability is an f32.
        expect(Math.abs(logProb - (expected[index]?.get(label)?.logProb ?? 0)), label).toBeLessThan(2e-4);
      }
      outputs.push(output);
    }
    // Labels the model ranks far outside its likeliest 32 are scored exactly too.
    const ranks = expected.flatMap((scores) => [...scores.values()].map(({ worstRank }) => worstRank));
    expect(Math.max(...ranks)).toBeGreaterThan(16_384);
    // Node ran first: each build printed what it printed.
    expect(outputs.slice(-2)).toEqual(outputs.slice(0, 2));
  });

  it('refuses fewer than two labels and a missing text', async () => {
    const app = await loadApp('examples', 'classify', build);
    expect(await runInferlet(app, createHost().createInstance({ args: ['-p', 'x', 'only'] }))).toMatchObject({
      ok: false,
      error: 'give at least two labels to score (got 1); see --help',
    });
    expect(await runInferlet(app, createHost().createInstance({ args: ['a', 'b'] }))).toMatchObject({
      ok: false,
      error: 'no text to classify: give it with --prompt; see --help',
    });
  });
});
