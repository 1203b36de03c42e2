import type { Instance } from './host.ts';
import type { LoadedComponent } from './load.ts';

export type RunOutcome =
  | { readonly ok: true; readonly returnValue: string | undefined }
  | { readonly ok: false; readonly error: string; readonly trapped: boolean };

interface RunExport {
  /** A transpiled component's returns at once; an app run in-process may return a promise. */
  run(): unknown;
}

/**
 * Instantiates an inferlet with `instance`'s imports and calls its `inferlet:core/run`. An `err` of
 * `run`, a trap or a failed instantiation is an outcome, never a thrown error. A trap's error is the
 * message of the error that caused it, which a component only prints to its stderr.
 */
export async function runInferlet(component: LoadedComponent, instance: Instance): Promise<RunOutcome> {
  instance.console.takeErrorMessage();
  const describe = (error: unknown): string => {
    const message =
      instance.console.takeErrorMessage() ?? (error instanceof Error ? error.message : String(error));
    return staleHandle.test(message)
      ? `a resource was used after it was dropped, or dropped twice (jco: ${message})`
      : message;
  };
  const notInferlet = diagnoseInterface(component, instance);
  if (notInferlet !== undefined) return { ok: false, error: notInferlet, trapped: false };
  let exports: Record<string, unknown>;
  try {
    exports = await component.instantiate(instance.imports);
  } catch (error) {
    return { ok: false, error: `instantiation failed: ${describe(error)}`, trapped: true };
  }
  const run = (exports.run ?? exports[runExport]) as RunExport | undefined;
  if (typeof run?.run !== 'function') {
    return { ok: false, error: `the component does not export ${runExport}`, trapped: false };
  }
  try {
    await run.run();
    return { ok: true, returnValue: instance.returnValue };
  } catch (error) {
    if (isComponentError(error)) return { ok: false, error: String(error.payload), trapped: false };
    return { ok: false, error: `the inferlet trapped: ${describe(error)}`, trapped: true };
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
 * What jco's glue throws when a component passes a handle its table no longer holds: a resource dropped
 * and then used or dropped again. It cannot say which resource; the library's own resources do, in one engine.
 */
const staleHandle = /repTable\.get\(\.\.\.\) is undefined|^Invalid handle$/;

/** jco throws its `ComponentError`, which carries the value in `payload`, for the `err` of a `result` export. */
function isComponentError(error: unknown): error is { payload: unknown } {
  return error instanceof Error && 'payload' in error;
}
