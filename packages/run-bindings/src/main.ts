import type * as Run from 'inferlet:core/run';
import { getArguments, setReturn } from 'inferlib:environment/runtime';

/** The body of an inferlet: gets the client's arguments, returns the inferlet's result. */
export type InferletBody = (args: string[]) => Promise<string> | string;

/**
 * The message of a thrown value: an `Error`'s message; the text of a library call's `err`, which the single
 * engine throws as the string itself and a composition as an error carrying it (`payload`); else its text.
 * What an `err` of `run` carries.
 */
export function errorMessage(thrown: unknown): string {
  if (typeof thrown === 'object' && thrown !== null && 'payload' in thrown) return String(thrown.payload);
  if (thrown instanceof Error) return thrown.message === '' ? thrown.name : thrown.message;
  return typeof thrown === 'string' ? thrown : String(thrown);
}

/**
 * The `inferlet:core/run` export of an app: runs `body` with the arguments from
 * `inferlib:environment/runtime`, puts its result into `set-return`, and turns a thrown error into the
 * `err` of `run` carrying the error's message.
 *
 * @example export const run = main(async (args) => `Hello, ${args.join(' ')}`);
 */
export function main(body: InferletBody): typeof Run {
  return {
    // componentize-js waits for the promise, and a `result` export signals `err` by throwing its payload.
    run: (async () => {
      let result: string;
      try {
        result = await body(getArguments());
      } catch (thrown) {
        throw errorMessage(thrown);
      }
      setReturn(result);
    }) as unknown as typeof Run.run,
  };
}
