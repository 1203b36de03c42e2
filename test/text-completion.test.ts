import { createHost, type LoadedComponent, runInferlet } from '@inferlib/host-shim';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadApp } from './helpers/builds.ts';
import { builtComponentPath } from './helpers/components.ts';
import { worldOf } from './helpers/wit.ts';

/**
 * text-completion in each build, and text-completion-pld (the same app with context-pld) as components:
 * the answers must be the same; its Node build would link context, so it has none.
 */
const builds = [
  ...(['node', 'bundled', 'composed'] as const).map((build) => ['text-completion', build] as const),
  ...(['bundled', 'composed'] as const).map((build) => ['text-completion-pld', build] as const),
];

describe.each(builds)('the %s inferlet (%s)', (app, build) => {
  let completion: LoadedComponent;
  beforeAll(async () => {
    completion = await loadApp('examples', app, build);
  });

  const run = async (args: string[]) => {
    const host = createHost();
    const instance = host.createInstance({ args });
    const outcome = await runInferlet(completion, instance);
    return { outcome, sent: instance.sent, passes: host.passTimes.length };
  };
  const complete = async (args: string[]) => (await run(args)).outcome;

  it('completes a prompt on the built-in model: the answer without its end of turn, or raw', async () => {
    expect(await complete(['-p', 'Hello there, inferlet.', '-n', '32'])).toEqual({
      ok: true,
      returnValue: 'Hello there, inferlet.',
    });
    expect(await complete(['-p', 'Hello there, inferlet.', '-n', '32', '--raw'])).toEqual({
      ok: true,
      returnValue: 'Hello there, inferlet.<|im_end|>',
    });
    expect(
      await complete(['--prompt=Count: one two three four five', '--max-tokens', '3', '--system', 'Copy.']),
    ).toEqual({
      ok: true,
      returnValue: 'Count: one',
    });
  });

  it('stops where the text holds a --stop string, across tokens, and leaves it out', async () => {
    expect(await complete(['-p', 'Count: one two three four', '--stop', 'o th', '--stop', 'four'])).toEqual({
      ok: true,
      returnValue: 'Count: one tw',
    });
  });

  it('--stream sends the answer as it is generated, in pieces that join to it, and returns nothing', async () => {
    const prompt = 'Stream me: one two three, 東京.';
    const { outcome, sent } = await run(['-p', prompt, '--stream']);
    expect(outcome).toEqual({ ok: true, returnValue: '' });
    expect(sent.length).toBeGreaterThan(3);
    expect(sent.map((item) => (item.kind === 'message' ? item.text : '')).join('')).toBe(prompt);
  });

  // Argument handling is the app's own code, the same in text-completion-pld.
  it.skipIf(app === 'text-completion-pld')(
    'takes every sampler, answers --help and rejects bad arguments with their name',
    async () => {
      for (const sampler of ['greedy', 'multinomial', 'top-p', 'top-k', 'min-p', 'top-k-top-p']) {
        const outcome = await complete([
          '-p',
          'Hi.',
          '-n',
          '4',
          '--sampler',
          sampler,
          '--temperature',
          '0.01',
        ]);
        expect(outcome, sampler).toEqual({ ok: true, returnValue: 'Hi.' });
      }
      expect(await complete(['-h'])).toMatchObject({
        ok: true,
        returnValue: expect.stringContaining('--max-tokens N'),
      });
      expect(await complete(['--sampler', 'beam'])).toEqual({
        ok: false,
        trapped: false,
        error: '--sampler "beam": expected one of greedy, multinomial, top-p, top-k, min-p, top-k-top-p',
      });
      expect(await complete(['-n', '-1'])).toMatchObject({
        ok: false,
        error: '--max-tokens "-1": expected a whole number ≥ 0 (below 2^32)',
      });
      expect(await complete(['--frobnicate'])).toMatchObject({
        ok: false,
        error: expect.stringContaining('--frobnicate'),
      });
      expect(await complete(['--stream', '--raw'])).toMatchObject({
        ok: false,
        error: '--stream and --raw: choose one',
      });
      expect(await complete(['--stop', ''])).toMatchObject({
        ok: false,
        error: '--stop "": expected a non-empty text',
      });
    },
  );

  it('decodes text that repeats its prompt in fewer passes with context-pld', async () => {
    const prompt = 'Echo me: one two three four five six seven eight nine ten eleven twelve.';
    const { outcome, passes } = await run(['-p', prompt, '-n', '64']);
    expect(outcome).toEqual({ ok: true, returnValue: prompt });
    const tokens = 17;
    // Prefill, then a pass per token, or far fewer with prompt lookup.
    if (app === 'text-completion') expect(passes).toBe(1 + tokens);
    else expect(passes).toBeLessThan(1 + tokens / 2);
  });
});

describe('the worlds of text-completion', () => {
  it('composed: imports nothing but inferlet:* and wasi:* interfaces', async () => {
    const world = await worldOf(builtComponentPath('examples', 'text-completion', 'composed'));
    expect(world.exports).toEqual(['inferlet:core/run']);
    for (const name of world.imports) expect(name).toMatch(/^(inferlet|wasi):/);
    expect(world.imports).toEqual(
      expect.arrayContaining(['inferlet:core/forward', 'inferlet:core/tokenize']),
    );
  });

  it('single-engine: imports only the host interfaces its code calls (no adapter, no zo)', async () => {
    const world = await worldOf(builtComponentPath('examples', 'text-completion', 'bundled'));
    // A QuickJS build also keeps componentize-qjs's build-time `init` export (docs/decisions.md).
    expect(world.exports.filter((name) => !name.startsWith('init:'))).toEqual(['inferlet:core/run']);
    expect(world.imports.filter((name) => name.startsWith('inferlet:')).sort()).toEqual([
      'inferlet:core/common',
      'inferlet:core/forward',
      'inferlet:core/message',
      'inferlet:core/runtime',
      'inferlet:core/tokenize',
    ]);
  });
});
