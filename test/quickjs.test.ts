import { createHost, runInferlet } from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';
import { loadApp } from './helpers/builds.ts';

// What only the QuickJS build has to get right; the scenarios themselves run on it as every app's default
// single-engine build (`bundled`).
describe('single-engine builds on QuickJS', () => {
  it('refuse a run whose body returns a pending promise, instead of losing its answer', async () => {
    // The hostile fixture's body is async (it awaits fetch): on QuickJS no promise job would ever run.
    const app = await loadApp('test/fixtures', 'hostile', 'quickjs');
    const outcome = await runInferlet(app, createHost().createInstance({ args: ['files'] }));
    expect(outcome).toEqual({
      ok: false,
      trapped: false,
      error:
        'inferlet:core/run.run: run returned a promise, but a QuickJS build runs no promise jobs after an export returns, so it would never settle; make the body synchronous, or build the app with "engine": "starlingmonkey" (package.json, inferlib.component)',
    });
  });

  it("draws without a seed from the host's randomness (crypto.getRandomValues over wasi:random)", async () => {
    const app = await loadApp('examples', 'json-extract', 'quickjs');
    const args = ['-p', 'Ada Lovelace, 36, ada@example.com.', '--temperature', '0.8', '--max-tokens', '200'];
    const outcome = await runInferlet(app, createHost().createInstance({ args }));
    if (!outcome.ok) throw new Error(outcome.error);
    expect(typeof JSON.parse(outcome.returnValue ?? '')).toBe('object');
  });
});
