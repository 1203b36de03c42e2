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
  let exports: Record<string, unknown>;
  try {
    exports = await component.instantiate(instance.imports);
  } catch (error) {
    return { ok: false, error: `instantiation failed: ${describe(error)}`, trapped: true };
  }
  const run = (exports.run ?? exports['inferlet:core/run']) as RunExport | undefined;
  if (typeof run?.run !== 'function') {
    return { ok: false, error: 'the component does not export inferlet:core/run', trapped: false };
  }
  try {
    await run.run();
    return { ok: true, returnValue: instance.returnValue };
  } catch (error) {
    if (isComponentError(error)) return { ok: false, error: String(error.payload), trapped: false };
    return { ok: false, error: `the inferlet trapped: ${describe(error)}`, trapped: true };
  }
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
