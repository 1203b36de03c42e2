import { runInNewContext } from 'node:vm';
import type { Instance } from './host.ts';
import { describeLimit } from './limits.ts';
import type { LoadedComponent } from './load.ts';

export type RunOutcome =
  | { readonly ok: true; readonly returnValue: string | undefined }
  | { readonly ok: false; readonly error: string; readonly trapped: boolean };

interface RunExport {
  /** A transpiled component's returns at once; an app run in-process may return a promise. */
  run(): unknown;
}

/**
 * Instantiates an inferlet with `instance`'s imports and calls its `inferlet:core/run`, within the
 * instance's limits (time, linear memory). An `err` of `run`, a trap, a failed instantiation or a limit
 * reached is an outcome, never a thrown error. A trap's error is the message of the error that caused it,
 * which a component only prints to its stderr.
 */
export async function runInferlet(component: LoadedComponent, instance: Instance): Promise<RunOutcome> {
  instance.console.takeErrorMessage();
  if (component.mapStack !== undefined) instance.console.mapStacks(component.mapStack);
  const explain = (message: string): string => {
    if (staleHandle.test(message))
      return `a resource was used after it was dropped, or dropped twice (jco: ${message}), or its handle was made up`;
    // The guest's allocator found no more memory: its memory reached its cap, which is below WebAssembly's 4 GiB.
    return outOfMemory.test(message)
      ? `${message}: its linear memory may not grow past ${describeLimit('memoryBytes', instance.limits)}`
      : message;
  };
  const describe = (error: unknown): string =>
    explain(instance.console.takeErrorMessage() ?? (error instanceof Error ? error.message : String(error)));
  const notInferlet = diagnoseInterface(component, instance);
  if (notInferlet !== undefined) return { ok: false, error: notInferlet, trapped: false };
  let exports: Record<string, unknown>;
  try {
    exports = await component.instantiate(instance.imports, {
      memoryLimitBytes: instance.limits.memoryBytes,
    });
  } catch (error) {
    return { ok: false, error: `instantiation failed: ${describe(error)}`, trapped: true };
  }
  const run = (exports.run ?? exports[runExport]) as RunExport | undefined;
  if (typeof run?.run !== 'function') {
    return { ok: false, error: `the component does not export ${runExport}`, trapped: false };
  }
  try {
    await withinTimeLimit(() => run.run(), instance.limits.timeoutMs);
    return { ok: true, returnValue: instance.returnValue };
  } catch (error) {
    if (error instanceof TimeLimitReached) {
      return {
        ok: false,
        error: `${error.message}: ${describeLimit('timeoutMs', instance.limits)}`,
        trapped: true,
      };
    }
    if (isComponentError(error)) return { ok: false, error: explain(String(error.payload)), trapped: false };
    return { ok: false, error: `the inferlet trapped: ${describe(error)}`, trapped: true };
  }
}

class TimeLimitReached extends Error {}

/**
 * `call()`, ended when it runs longer than `timeoutMs` (0: no limit). A component's `run` computes
 * synchronously (its host calls block), so Node's `vm` watchdog interrupts it where it is: a loop in its
 * code, or a wait in a host call. What it returns (an app run in Node returns a promise) must settle in time too.
 */
async function withinTimeLimit(call: () => unknown, timeoutMs: number): Promise<void> {
  if (timeoutMs === 0) {
    await call();
    return;
  }
  const stopped = new TimeLimitReached(`the inferlet was stopped after ${timeoutMs / 1000} s`);
  const started = performance.now();
  let returned: unknown;
  try {
    returned = runInNewContext('call()', { call }, { timeout: timeoutMs });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw stopped;
    throw error;
  }
  let timer: NodeJS.Timeout | undefined;
  const unsettled = new TimeLimitReached(`run's promise had not settled after ${timeoutMs / 1000} s`);
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unsettled), Math.max(0, timeoutMs - (performance.now() - started)));
  });
  try {
    await Promise.race([returned, late]);
  } finally {
    clearTimeout(timer);
  }
}

const runExport = 'inferlet:core/run';

/** `wasi:io/poll@0.2.4` → `wasi:io/poll`, as an import object is keyed. */
const unversioned = (name: string): string => name.replace(/@.*$/, '');

/** Why `component` cannot run as an inferlet on this host, if it cannot: a one-line diagnosis. */
function diagnoseInterface(component: LoadedComponent, instance: Instance): string | undefined {
  const missing = component.imports.filter((name) => !(unversioned(name) in instance.imports));
  const runs = component.exports.some((name) => unversioned(name) === runExport);
  if (!runs) {
    // jco lists an exported interface under its full name and under its short alias: name the first.
    const interfaces = component.exports.filter((name) => name.includes(':'));
    const named = interfaces.length > 0 ? interfaces : component.exports;
    const exported = named.length === 0 ? 'nothing' : named.join(', ');
    return `the component exports ${exported}, not ${runExport}: it is a library module, not an inferlet`;
  }
  if (missing.some((name) => name.startsWith('inferlib:'))) {
    return `the component imports ${missing.join(', ')}, which no host provides: it is an app not composed with the library; run its dist/<app>.bundled.wasm or dist/<app>.composed.wasm (pnpm build, pnpm compose)`;
  }
  if (missing.length > 0)
    return `the component imports ${missing.join(', ')}, which this host does not provide`;
  return undefined;
}

/**
 * What jco's glue throws when a component passes a handle its table does not hold: a resource dropped and
 * then used or dropped again, or a handle made up. It cannot say which resource; the library's own
 * resources do, in one engine.
 */
const staleHandle = /repTable\.get\(\.\.\.\) is undefined|^Invalid handle$/;

/** What SpiderMonkey (componentize-js's engine) says when an allocation fails. */
const outOfMemory = /\bout of memory\b/i;

/** jco throws its `ComponentError`, which carries the value in `payload`, for the `err` of a `result` export. */
function isComponentError(error: unknown): error is { payload: unknown } {
  return error instanceof Error && 'payload' in error;
}
