import { createHost, runInferlet } from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../test/helpers/builds.ts';

// Its sources in Node and its single-engine build; the composed build is made by `pnpm compose` (and run on
// Pie by `pnpm pie-check`), while chat and text-completion-pld test the generation interface composed.
describe.each(['node', 'bundled'] as const)('best-of-n (%s)', (build) => {
  it('prefills once, samples n answers from forks and returns the best scored', async () => {
    const app = await loadApp('examples', 'best-of-n', build);
    const host = createHost();
    // More than a page (16 tokens): forks share the full ones.
    const prompt =
      'Echo me: one two three four five six seven eight nine ten, and then all of it once again.';
    const instance = host.createInstance({
      args: ['-p', prompt, '-n', '4', '--temperature', '1.2', '--seed', '7', '--max-tokens', '48'],
    });
    const outcome = await runInferlet(app, instance);
    const answers = instance.sent.map((item) => {
      const [, score, text] = /^\[\d\] (\S+) (.*)\n$/.exec(item.kind === 'message' ? item.text : '') ?? [];
      return { score: Number(score), text: JSON.parse(text ?? 'null') as string };
    });
    expect(answers).toHaveLength(4);
    const best = answers.reduce((a, b) => (b.score > a.score ? b : a));
    expect(outcome).toEqual({ ok: true, returnValue: best.text });
    expect(best.text).toBe(prompt);
    // Sampling hot, not every answer is the echo.
    expect(new Set(answers.map((answer) => answer.text)).size).toBeGreaterThan(1);
    // One pass ran the whole prompt; each other pass ran a fork's tail of the prompt (what its last,
    // partial page holds, computed again in the fork's own page) or one token.
    const [prefill = 0, ...rest] = host.passTimes.map((pass) => pass.inputs);
    expect(prefill).toBeGreaterThan(16);
    expect(Math.max(...rest)).toBeLessThanOrEqual(prefill % 16);
  });
});
