/**
 * The `inferlet:core/run` export of a QuickJS build. componentize-qjs runs no promise jobs once an export has
 * returned, so a `run` that returns a promise would never reach its `set-return`: the answer would be lost
 * and the run end as a success. Such a `run` is refused with an `err` saying why.
 */
interface RunExport {
  run(): unknown;
}

const isThenable = (value: unknown): boolean =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof (value as { then?: unknown }).then === 'function';

export function settledRun(app: RunExport): RunExport {
  return {
    run(): void {
      if (isThenable(app.run())) {
        // A string thrown from a `result` export is its `err`.
        throw 'inferlet:core/run.run: run returned a promise, but a QuickJS build runs no promise jobs after an export returns, so it would never settle; make the body synchronous, or build the app with "engine": "starlingmonkey" (package.json, inferlib.component)';
      }
    },
  };
}
