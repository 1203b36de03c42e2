import type * as Run from 'inferlet:core/run';
import { getArguments, setReturn } from 'inferlib:environment/runtime';
import { errorMessage, stackOf } from './errors.ts';

export { errorMessage };

/** The body of an inferlet: gets the client's arguments, returns the inferlet's result. */
export type InferletBody = (args: string[]) => Promise<string> | string;

/**
 * The `inferlet:core/run` export of an app: runs `body` with the arguments from
 * `inferlib:environment/runtime`, puts its result into `set-return`, and turns a thrown error into the
 * `err` of `run` carrying the error's message. A body that returns a value settles `run` before it returns,
 * which a QuickJS build needs (it runs no promise jobs after an export returns); a promise is waited for.
 *
 * @example export const run = main((args) => `Hello, ${args.join(' ')}`);
 */
export function main(body: InferletBody): typeof Run {
  const fail = (thrown: unknown): never => {
    // Where the app went wrong, on stderr (the host-shim maps it to the sources); the run's error is the message.
    const stack = stackOf(thrown);
    if (stack !== undefined) console.error(stack);
    // A `result` export signals `err` by throwing its payload.
    throw errorMessage(thrown);
  };
  return {
    run: (() => {
      let result: Promise<string> | string;
      try {
        result = body(getArguments());
      } catch (thrown) {
        return fail(thrown);
      }
      // componentize-js waits for a promise that `run` returns.
      if (result instanceof Promise) return result.then(setReturn, fail);
      setReturn(result);
    }) as unknown as typeof Run.run,
  };
}

export {
  type CommandSpec,
  type OptionSpec,
  type Options,
  type Parsed,
  parseArguments,
  UsageError,
  usage,
  withOptions,
} from './options.ts';
