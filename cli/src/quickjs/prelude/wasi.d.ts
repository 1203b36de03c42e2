/**
 * The WASI interfaces the QuickJS prelude imports, as far as it uses them (`quickjs.ts` declares their WIT), typed
 * as componentize-qjs gives and takes values (a u64 is a number).
 */
declare module 'wasi:cli/stdout@0.2.4' {
  export function getStdout(): import('wasi:io/streams@0.2.4').OutputStream;
}
declare module 'wasi:cli/stderr@0.2.4' {
  export function getStderr(): import('wasi:io/streams@0.2.4').OutputStream;
}
declare module 'wasi:clocks/monotonic-clock@0.2.4' {
  /** Nanoseconds: a `number` in QuickJS, a `bigint` in StarlingMonkey. */
  export function now(): number | bigint;
}
declare module 'wasi:random/random@0.2.4' {
  /** The length is a u64, which componentize-qjs takes as a number. */
  export function getRandomBytes(length: number): Uint8Array;
}
