#!/usr/bin/env -S npx tsx
/**
 * `inferlib run <component.wasm> [-- args…]`: runs an inferlet on the host-shim and prints its result.
 */
import { parseArgs } from 'node:util';
import { createHost } from './host.ts';
import { loadComponent } from './load.ts';
import { runInferlet } from './run.ts';

const usage = `usage: inferlib run <component.wasm> [--cache-dir DIR] [-- inferlet arguments…]`;

async function main(argv: string[]): Promise<number> {
  const separator = argv.indexOf('--');
  const own = separator === -1 ? argv : argv.slice(0, separator);
  const inferletArgs = separator === -1 ? [] : argv.slice(separator + 1);
  const { positionals, values } = parseArgs({
    args: own,
    allowPositionals: true,
    options: { 'cache-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    console.log(usage);
    return 0;
  }
  const [command, wasmPath, ...extra] = positionals;
  if (command !== 'run' || wasmPath === undefined || extra.length > 0) {
    console.error(usage);
    return 2;
  }
  const component = await loadComponent(
    wasmPath,
    values['cache-dir'] === undefined ? {} : { cacheDir: values['cache-dir'] },
  );
  const instance = createHost().createInstance({ args: inferletArgs });
  const outcome = await runInferlet(component, instance);
  if (!outcome.ok) {
    console.error(`inferlet failed: ${outcome.error}`);
    return 1;
  }
  if (outcome.returnValue !== undefined) console.log(outcome.returnValue);
  return 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`inferlib: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
