import { loadInferlet } from '@inferlib/cli/testing';
import { createHost, runInferlet } from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';

/** The project's folder, whose `dist/` holds its builds. */
const project = new URL('..', import.meta.url);

// Its sources in Node (no build needed) and its single-engine component (inferlib build).
describe.each(['node', 'bundled'] as const)('starter (%s)', (build) => {
  it('answers its arguments on the host-shim', async () => {
    const app = await loadInferlet(project, build);
    const outcome = await runInferlet(app, createHost().createInstance({ args: ['Echo', 'me.'] }));
    // The host-shim's built-in model echoes the user's message.
    expect(outcome).toEqual({ ok: true, returnValue: 'Echo me.' });
  });

  it('answers --help, and names a bad option and its value', async () => {
    const app = await loadInferlet(project, build);
    const run = (args: string[]) => runInferlet(app, createHost().createInstance({ args }));
    expect(await run(['--help'])).toMatchObject({
      ok: true,
      returnValue: expect.stringContaining('--max-tokens N'),
    });
    expect(await run(['-n', '0', 'Hi'])).toMatchObject({
      ok: false,
      error: '--max-tokens "0": expected a whole number ≥ 1 (below 2^32)',
    });
  });
});
