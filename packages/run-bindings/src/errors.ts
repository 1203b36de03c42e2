import { UsageError } from './options.ts';

/**
 * The message of a thrown value: an `Error`'s message; the text of a library call's `err`, which the single
 * engine throws as the string itself and a composition as an error carrying it (`payload`); else its text.
 * What an `err` of `run` carries.
 */
export function errorMessage(thrown: unknown): string {
  if (typeof thrown === 'object' && thrown !== null && 'payload' in thrown) return String(thrown.payload);
  if (thrown instanceof Error) return thrown.message === '' ? thrown.name : thrown.message;
  if (typeof thrown === 'string') return thrown;
  return `a thrown ${thrownKind(thrown)}: ${describeValue(thrown)}`;
}

const thrownKind = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

/** A value as JSON where it has one (an object's fields, not `[object Object]`), else as text. */
function describeValue(value: unknown): string {
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // A cycle or a bigint: its text below.
  }
  return String(value);
}

/**
 * The stack of an error thrown in the app's code, headed by its name and message, a frame per line (each
 * engine writes frames its own way: `at f (file:1:2)`, `f@file:1:2`); none for a mistake in the arguments or a
 * library call's `err`, whose message says it all.
 */
export function stackOf(thrown: unknown): string | undefined {
  if (!(thrown instanceof Error) || thrown instanceof UsageError || 'payload' in thrown) return undefined;
  const heading = `${thrown.name}: ${thrown.message}`;
  const frames = (thrown.stack ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== heading);
  if (frames.length === 0) return undefined;
  return [heading, ...frames.map((frame) => `    ${frame.startsWith('at ') ? frame : `at ${frame}`}`)].join(
    '\n',
  );
}
