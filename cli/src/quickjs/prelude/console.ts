/**
 * `console` for the QuickJS engine, which has none: `log`, `info` and `debug` write a line to
 * `wasi:cli/stdout`, `warn` and `error` to `wasi:cli/stderr` (Pie's engine streams both to the client), each
 * argument as `String` gives it, an object as JSON, an error as `name: message`.
 */
import { getStderr } from 'wasi:cli/stderr@0.2.4';
import { getStdout } from 'wasi:cli/stdout@0.2.4';
import type { OutputStream } from 'wasi:io/streams@0.2.4';
import { encodeUtf8 } from './utf8.ts';

/** `blocking-write-and-flush` takes at most 4096 bytes a call. */
const writeLimit = 4096;

function shown(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

function writeLine(open: () => OutputStream, values: readonly unknown[]): void {
  const bytes = encodeUtf8(`${values.map(shown).join(' ')}\n`);
  const stream = open();
  try {
    for (let offset = 0; offset < bytes.length; offset += writeLimit) {
      stream.blockingWriteAndFlush(bytes.subarray(offset, offset + writeLimit));
    }
  } finally {
    stream[Symbol.dispose]();
  }
}

const toStdout = (...values: unknown[]): void => writeLine(getStdout, values);
const toStderr = (...values: unknown[]): void => writeLine(getStderr, values);

Object.assign(globalThis, {
  console: { log: toStdout, info: toStdout, debug: toStdout, warn: toStderr, error: toStderr },
});
