/**
 * `performance.now()` for the QuickJS engine, which has no `performance`: milliseconds of WASI's monotonic
 * clock since the first call. Not since start-up: the build runs the module's top level (Wizer), where no host
 * function may be called, so the clock is first read when the inferlet runs.
 */
import { now } from 'wasi:clocks/monotonic-clock@0.2.4';

let origin: number | undefined;

function millisecondsSinceFirstCall(): number {
  const nanoseconds = Number(now());
  origin ??= nanoseconds;
  return (nanoseconds - origin) / 1e6;
}

Object.assign(globalThis, { performance: { now: millisecondsSinceFirstCall } });
