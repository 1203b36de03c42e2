/** `crypto.getRandomValues` for the QuickJS engine, which has no `crypto`: bytes of WASI's secure random source. */
import { getRandomBytes } from 'wasi:random/random@0.2.4';

function getRandomValues<T extends ArrayBufferView | null>(array: T): T {
  if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array) {
    throw new TypeError('crypto.getRandomValues: the argument must be an integer typed array');
  }
  if (array.byteLength > 65536) {
    throw new RangeError(`crypto.getRandomValues: ${array.byteLength} bytes asked, more than 65536`);
  }
  // componentize-qjs takes a u64 as a number (a bigint panics).
  const bytes = getRandomBytes(array.byteLength);
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes);
  return array;
}

Object.assign(globalThis, { crypto: { getRandomValues } });
