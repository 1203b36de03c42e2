import { createHost, runInferlet } from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../test/helpers/builds.ts';

const prompt = 'Echo me: one two three four, and the rest.';

// Its sources in Node and its single-engine build; the composed build is made by `pnpm compose` (and run on
// Pie by `pnpm pie-check`), while chat and text-completion-pld test the generation interface composed.
describe.each(['node', 'bundled'] as const)('beam-search (%s)', (build) => {
  it('with width 1 is greedy decoding; with width 3 returns the best of the beams it sends', async () => {
    const app = await loadApp('examples', 'beam-search', build);
    const greedy = await runInferlet(app, createHost().createInstance({ args: ['-p', prompt, '-k', '1'] }));
    // The built-in model copies: greedy decoding echoes the prompt.
    expect(greedy).toEqual({ ok: true, returnValue: prompt });
    const host = createHost();
    const instance = host.createInstance({ args: ['-p', prompt, '-k', '3', '--max-tokens', '24'] });
    const outcome = await runInferlet(app, instance);
    const beams = instance.sent.map((item) => {
      const [, score, text] = /^(\S+) (.*)\n$/.exec(item.kind === 'message' ? item.text : '') ?? [];
      return { score: Number(score), text: JSON.parse(text ?? 'null') as string };
    });
    expect(beams.length).toBeGreaterThanOrEqual(3);
    expect(new Set(beams.map((beam) => beam.text)).size).toBe(beams.length);
    expect(beams.map((beam) => beam.score)).toEqual(
      [...beams.map((beam) => beam.score)].sort((a, b) => b - a),
    );
    expect(outcome).toEqual({ ok: true, returnValue: beams[0]?.text });
    expect(beams[0]?.text).toBe(prompt);
  });

  it('refuses a width that is no whole number', async () => {
    const app = await loadApp('examples', 'beam-search', build);
    expect(await runInferlet(app, createHost().createInstance({ args: ['-k', '0'] }))).toMatchObject({
      ok: false,
      error: '--width "0": expected a whole number ≥ 1 (below 2^32)',
    });
  });
});
