import { createHost, type LoadedComponent, runInferlet } from '@inferlib/host-shim';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadApp } from './helpers/builds.ts';
import { builtComponentPath } from './helpers/components.ts';
import { worldOf } from './helpers/wit.ts';

describe.each(['node', 'bundled', 'composed'] as const)('the text-completion inferlet (%s)', (build) => {
  let completion: LoadedComponent;
  beforeAll(async () => {
    completion = await loadApp('examples', 'text-completion', build);
  });

  const complete = async (args: string[]) => runInferlet(completion, createHost().createInstance({ args }));

  it('completes a prompt on the built-in model and stops at the end of the turn', async () => {
    expect(await complete(['-p', 'Hello there, inferlet.', '-n', '32'])).toEqual({
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

  it('takes every sampler, answers --help and rejects bad arguments with their name', async () => {
    for (const sampler of ['greedy', 'multinomial', 'top-p', 'top-k', 'min-p', 'top-k-top-p']) {
      const outcome = await complete(['-p', 'Hi.', '-n', '4', '--sampler', sampler, '--temperature', '0.01']);
      expect(outcome, sampler).toEqual({ ok: true, returnValue: 'Hi.<|im_end|>' });
    }
    expect(await complete(['-h'])).toMatchObject({
      ok: true,
      returnValue: expect.stringContaining('--max-tokens N'),
    });
    expect(await complete(['--sampler', 'beam'])).toEqual({
      ok: false,
      trapped: false,
      error: '--sampler beam: expected one of greedy, multinomial, top-p, top-k, min-p, top-k-top-p',
    });
    expect(await complete(['-n', '-1'])).toMatchObject({
      ok: false,
      error: '--max-tokens -1: expected a whole number ≥ 0',
    });
    expect(await complete(['--frobnicate'])).toMatchObject({
      ok: false,
      error: expect.stringContaining('--frobnicate'),
    });
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
    expect(world.exports).toEqual(['inferlet:core/run']);
    expect(world.imports.filter((name) => name.startsWith('inferlet:')).sort()).toEqual([
      'inferlet:core/common',
      'inferlet:core/forward',
      'inferlet:core/runtime',
      'inferlet:core/tokenize',
    ]);
  });
});
