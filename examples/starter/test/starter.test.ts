import { createHost, runInferlet } from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../test/helpers/builds.ts';

// Its sources in Node (no build needed) and its single-engine component (pnpm build starter.bundled).
describe.each(['node', 'bundled'] as const)('starter (%s)', (build) => {
  it('answers its arguments on the host-shim', async () => {
    const app = await loadApp('examples', 'starter', build);
    const outcome = await runInferlet(app, createHost().createInstance({ args: ['Echo', 'me.'] }));
    // The host-shim's built-in model echoes the user's message.
    expect(outcome).toMatchObject({ ok: true, returnValue: expect.stringMatching(/^Echo me\./) });
  });
});
