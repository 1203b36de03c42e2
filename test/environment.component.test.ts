import type * as Runtime from 'inferlib:environment/runtime';
import { createHost } from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';
import { loadModule } from './helpers/builds.ts';

describe.each(['component', 'node'] as const)('environment (%s)', (build) => {
  it('forwards every function to inferlet:core/runtime of its own instance', async () => {
    const component = await loadModule('environment', build);
    const host = createHost({ version: 'pie 9.9.9' });
    const instance = host.createInstance({ args: ['-p', 'a prompt', '--flag'], id: 'env-test' });
    const runtime = (await component.instantiate(instance.imports)).runtime as typeof Runtime;
    expect(runtime.getVersion()).toBe('pie 9.9.9');
    expect(runtime.getInstanceId()).toBe('env-test');
    expect(runtime.getArguments()).toEqual(['-p', 'a prompt', '--flag']);
    expect(instance.returnValue).toBeUndefined();
    runtime.setReturn('first');
    runtime.setReturn('ünïcödé ✓');
    expect(instance.returnValue).toBe('ünïcödé ✓');

    const other = host.createInstance({ args: [] });
    const otherRuntime = (await component.instantiate(other.imports)).runtime as typeof Runtime;
    expect(otherRuntime.getArguments()).toEqual([]);
    expect(otherRuntime.getInstanceId()).toBe(other.id);
    expect(instance.returnValue).toBe('ünïcödé ✓');
  });
});
