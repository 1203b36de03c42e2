import { builtinModel } from './builtin-model.ts';

/** The options of `inferlib run` as `node:util`'s `parseArgs` takes them; `pnpm start` reads them too. */
export const runOptionSpec = {
  'page-size': { type: 'string' },
  seed: { type: 'string' },
  'latency-ms': { type: 'string' },
  message: { type: 'string', multiple: true },
  'cache-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options of `inferlib run`, also shown by `pnpm start --help`. */
export const runOptions = `  --page-size N     tokens per KV page of the built-in model (default ${builtinModel.kvPageSize})
  --seed N          seed of the samplers, any whole number (default 0; negative: --seed=-5)
  --latency-ms MS   simulated device time of each forward pass (default 0)
  --message TEXT    a message from the client for the inferlet's receive (repeatable)
  --cache-dir DIR   where transpiled components are cached (default ~/.cache/inferlib/transpiled)
  -h, --help        this text`;

export const usage = `usage: inferlib run <component.wasm> [options] [-- inferlet arguments…]

Prints the messages the inferlet sends as they arrive, then its return value (stdout).

options:
${runOptions}`;
