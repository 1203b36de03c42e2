import { createHost, type LoadedComponent, runInferlet } from '@inferlib/host-shim';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtComponentPath, loadBuilt } from './helpers/components.ts';
import { worldOf } from './helpers/wit.ts';

let hello: LoadedComponent;

beforeAll(async () => {
  hello = await loadBuilt('examples', 'hello', 'composed');
});

describe('the composed hello inferlet on the host-shim', () => {
  it('greets its arguments and returns through set-return', async () => {
    const instance = createHost().createInstance({ args: ['Ada', 'Alan', 'Grace'], id: 'instance-1' });
    const outcome = await runInferlet(hello, instance);
    expect(outcome).toEqual({
      ok: true,
      returnValue: 'Hello, Ada, Alan and Grace! (from inferlet instance-1)',
    });
  });

  it('greets the world without arguments, each instance with its own id', async () => {
    const host = createHost();
    const first = host.createInstance();
    const second = host.createInstance();
    expect(first.id).not.toBe(second.id);
    expect(await runInferlet(hello, first)).toEqual({
      ok: true,
      returnValue: `Hello, world! (from inferlet ${first.id})`,
    });
    expect(await runInferlet(hello, second)).toEqual({
      ok: true,
      returnValue: `Hello, world! (from inferlet ${second.id})`,
    });
  });

  it('turns a thrown error into the err of run, with the message and no return value', async () => {
    const instance = createHost().createInstance({ args: ['--fail'] });
    expect(await runInferlet(hello, instance)).toEqual({
      ok: false,
      error: 'asked to fail with --fail',
      trapped: false,
    });
    expect(instance.returnValue).toBeUndefined();
  });

  it('imports nothing but host interfaces and exports inferlet:core/run', async () => {
    const world = await worldOf(builtComponentPath('examples', 'hello', 'composed'));
    expect(world.exports).toEqual(['inferlet:core/run']);
    expect(world.imports).toContain('inferlet:core/runtime');
    for (const name of world.imports) expect(name).toMatch(/^(inferlet|wasi):/);
  });

  it('the app alone imports the environment interface that the composition satisfies', async () => {
    const world = await worldOf(builtComponentPath('examples', 'hello'));
    expect(world.imports).toContain('inferlib:environment/runtime');
  });
});
