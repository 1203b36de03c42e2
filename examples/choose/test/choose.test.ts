import { createHost, runInferlet } from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../test/helpers/builds.ts';

const labels = ['positive', 'negative', 'neutral', 'mixed feelings'];
/** What each build chose, for the builds to agree. */
const choices: string[] = [];

describe.each(['node', 'bundled', 'composed'] as const)('choose (%s)', (build) => {
  it('answers one of the labels, letter for letter; the builds agree', async () => {
    const app = await loadApp('examples', 'choose', build);
    for (const prompt of ['I loved every minute of it.', 'Mixed feelings, to be honest: neutral at best.']) {
      const outcome = await runInferlet(
        app,
        createHost().createInstance({ args: ['-p', prompt, ...labels] }),
      );
      if (!outcome.ok) throw new Error(outcome.error);
      expect(labels).toContain(outcome.returnValue);
      choices.push(outcome.returnValue ?? '');
    }
    // Node ran first: each build chose what it chose.
    expect(choices.slice(-2)).toEqual(choices.slice(0, 2));
  });

  it('refuses fewer than two labels and a missing text', async () => {
    const app = await loadApp('examples', 'choose', build);
    expect(await runInferlet(app, createHost().createInstance({ args: ['-p', 'x', 'only'] }))).toMatchObject({
      ok: false,
      error: 'give at least two labels to choose from (got 1); see --help',
    });
    expect(await runInferlet(app, createHost().createInstance({ args: ['a', 'b'] }))).toMatchObject({
      ok: false,
      error: 'no text to classify: give it with --prompt; see --help',
    });
  });
});
