import { builtinModel } from './builtin-model.ts';
import { limitOptionSpec, limitOptionsHelp } from './limits.ts';

/** The options of `inferlib run` as `node:util`'s `parseArgs` takes them; `pnpm start` reads them too. */
export const runOptionSpec = {
  'page-size': { type: 'string' },
  seed: { type: 'string' },
  'latency-ms': { type: 'string' },
  message: { type: 'string', multiple: true },
  'cache-dir': { type: 'string' },
  'allow-net': { type: 'string' },
  ...limitOptionSpec,
  help: { type: 'boolean', short: 'h' },
} as const;

/** Options whose value is optional (`--allow-net` or `--allow-net=a,b`): alone, they take no next argument. */
export const optionalValueOptions: ReadonlySet<string> = new Set(['--allow-net']);

/** `argv` with each option of optional value given alone written `--name=`, as `parseArgs` takes it. */
export const withOptionalValues = (argv: readonly string[]): string[] =>
  argv.map((arg) => (optionalValueOptions.has(arg) ? `${arg}=` : arg));

const optionsHelp: readonly (readonly [option: string, help: string])[] = [
  ['--page-size N', `tokens per KV page of the built-in model (default ${builtinModel.kvPageSize})`],
  ['--seed N', 'seed of the samplers, any whole number (default 0; negative: --seed=-5)'],
  ['--latency-ms MS', 'simulated device time of each forward pass (default 0)'],
  ['--message TEXT', "a message from the client for the inferlet's receive (repeatable)"],
  ['--cache-dir DIR', 'where transpiled components are cached (default ~/.cache/inferlib/transpiled)'],
  ['--allow-net', 'let the inferlet reach the network (sockets, HTTP): every host (default: none)'],
  ['--allow-net=H,…', 'only these hosts: names or IP addresses, each with :port or any port'],
  ...limitOptionsHelp,
  ['-h, --help', 'this text'],
];

const column = Math.max(...optionsHelp.map(([option]) => option.length)) + 2;

/** The options of `inferlib run`, also shown by `pnpm start --help`. */
export const runOptions = optionsHelp.map(([option, help]) => `  ${option.padEnd(column)}${help}`).join('\n');

export const usage = `usage: inferlib run <component.wasm> [options] [-- inferlet arguments…]

Prints the messages the inferlet sends as they arrive, then its return value (stdout). The inferlet gets
no network unless --allow-net is given, and runs within the limits below: going over one ends it with a
message naming the limit.

options:
${runOptions}`;
