/**
 * `inferlib run <component.wasm> [options] [-- args…]`: runs an inferlet on the host-shim's built-in model,
 * prints the messages it sends to the client as they come, then its return value (both on stdout). The
 * `inferlib` command (`@inferlib/cli`) passes it the arguments after `run`.
 */
import { parseArgs } from 'node:util';
import { builtinModel } from './builtin-model.ts';
import { createHost } from './host.ts';
import { limitsFromOptions } from './limits.ts';
import { loadComponent } from './load.ts';
import { runInferlet } from './run.ts';
import { describePassTimes } from './timing.ts';
import { runOptionSpec, usage, withOptionalValues } from './usage.ts';

function numberOption(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || (integer && !Number.isInteger(parsed))) {
    throw new Error(`--${name} ${value}: expected a ${integer ? 'whole ' : ''}number ≥ 0`);
  }
  return parsed;
}

/** Runs `inferlib run` with the arguments after `run`; the exit code. */
export async function runCommand(argv: readonly string[]): Promise<number> {
  const separator = argv.indexOf('--');
  const { positionals, values } = parseArgs({
    args: withOptionalValues(separator === -1 ? argv : argv.slice(0, separator)),
    allowPositionals: true,
    options: runOptionSpec,
  });
  if (values.help === true) {
    console.log(usage);
    return 0;
  }
  const [wasmPath, ...extra] = positionals;
  if (wasmPath === undefined || extra.length > 0) {
    console.error(usage);
    return 2;
  }
  const pageSize = numberOption('page-size', values['page-size'], true);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw new Error(`--seed ${values.seed}: expected a whole number (negative ones too)`);
  }
  const latency = numberOption('latency-ms', values['latency-ms'], false);
  const allowNet = values['allow-net'];
  const host = createHost({
    models: [{ ...builtinModel, ...(pageSize === undefined ? {} : { kvPageSize: pageSize }) }],
    ...(seed === undefined ? {} : { seed }),
    ...(latency === undefined ? {} : { forwardLatencyMs: latency }),
    limits: limitsFromOptions(values),
    // `--allow-net` alone: every host.
    allowNet: allowNet === undefined ? false : allowNet === '' ? true : allowNet.split(','),
  });
  const cacheDir = values['cache-dir'];
  const component = await loadComponent(wasmPath, {
    ...(cacheDir === undefined ? {} : { cacheDir }),
    onTranspile: () => console.error(`transpiling ${wasmPath} with jco (cached for the next runs)…`),
  });
  // What the inferlet sends is its stream to the client: messages on stdout as they come, blobs noted on stderr.
  let lineOpen = false;
  const instance = host.createInstance({
    args: separator === -1 ? [] : argv.slice(separator + 1),
    onSend: (item) => {
      if (item.kind === 'blob') {
        console.error(`[send-blob] ${item.bytes.length} bytes`);
        return;
      }
      process.stdout.write(item.text);
      if (item.text !== '') lineOpen = !item.text.endsWith('\n');
    },
  });
  for (const message of values.message ?? []) instance.pushMessage(message);
  const outcome = await runInferlet(component, instance);
  if (lineOpen) process.stdout.write('\n');
  const timing = describePassTimes(host.passTimes, instance.id);
  if (timing !== undefined) console.error(timing);
  instance.end();
  if (!outcome.ok) {
    console.error(`inferlet failed: ${outcome.error}`);
    return 1;
  }
  if (outcome.returnValue !== undefined && outcome.returnValue !== '') console.log(outcome.returnValue);
  return 0;
}
