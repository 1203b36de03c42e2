/**
 * `pnpm start [app] [--composed] [--engine quickjs|starlingmonkey] [inferlib run options] [--] [inferlet
 * arguments]`: builds what it runs, and runs an example (text-completion unless another is named first) on the
 * host-shim — its single-engine build (in the app's engine, or the one `--engine` names), or with `--composed`
 * the wac composition of the app and the library components.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { artifactPaths } from '../cli/src/targets.ts';
import { helpText } from '../examples/text-completion/src/options.ts';
import { optionalValueOptions, runOptionSpec, runOptions } from '../host-shim/src/usage.ts';
import { repoRoot } from './lib/paths.ts';

const defaultApp = 'text-completion';
const valuedRunOptions = new Set(
  Object.entries(runOptionSpec)
    .filter(([, spec]) => spec.type === 'string')
    .map(([name]) => `--${name}`),
);

const argv = process.argv.slice(2);
// `pnpm start chat -- …`: a first argument naming an example runs that one.
const named = argv[0] !== undefined && existsSync(join(repoRoot, 'examples', argv[0], 'package.json'));
const app = named ? (argv.shift() as string) : defaultApp;
const composed = argv.includes('--composed');
// `--engine <name>` or `--engine=<name>`: the single-engine build's engine, passed to the build.
const engineAt = argv.findIndex((arg) => arg === '--engine' || arg.startsWith('--engine='));
const engineArgs =
  engineAt < 0
    ? []
    : argv[engineAt] === '--engine'
      ? argv.slice(engineAt, engineAt + 2)
      : [argv[engineAt] ?? ''];
const rest = argv.filter(
  (arg, index) =>
    arg !== '--composed' && (engineAt < 0 || index < engineAt || index >= engineAt + engineArgs.length),
);
// `pnpm start -- -p x` (the npm habit) passes a `--` of its own first: it separates nothing here.
if (rest[0] === '--') rest.shift();

// Options of `inferlib run` go before the separator; everything else is the inferlet's.
const cliOptions: string[] = [];
const inferletArgs: string[] = [];
for (let index = 0; index < rest.length; index++) {
  const arg = rest[index] ?? '';
  if (arg === '--') {
    inferletArgs.push(...rest.slice(index + 1));
    break;
  }
  const name = arg.split('=')[0] ?? '';
  if (optionalValueOptions.has(arg)) {
    cliOptions.push(arg);
  } else if (valuedRunOptions.has(name)) {
    cliOptions.push(arg);
    if (!arg.includes('=') && index + 1 < rest.length) cliOptions.push(rest[++index] ?? '');
  } else {
    inferletArgs.push(arg);
  }
}

// Help needs no build: the options of both come from their sources (another app answers its own --help).
if (app === defaultApp && (inferletArgs.includes('--help') || inferletArgs.includes('-h'))) {
  console.log(`usage: pnpm start [app] [--composed] [--engine quickjs|starlingmonkey] [inferlib run options] [--] [app options]

Builds what it runs, then runs examples/<app> (${defaultApp} by default) on the host-shim: its
single-engine build (in the app's engine, QuickJS unless its package.json says otherwise, or the one
--engine names), or with --composed the wac composition of the app and the library components.

inferlib run options:
${runOptions}

${helpText}`);
  process.exit(0);
}

/** Runs a TypeScript file of the repository in a child Node, stdin closed, its output passed through. */
const tsx = (file: string, args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, file), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });

const paths = artifactPaths(join(repoRoot, 'examples', app));
let wasm: string;
try {
  if (composed) {
    tsx('scripts/build.ts', []);
    tsx('scripts/compose.ts', [app]);
    wasm = paths.composedWasm;
  } else {
    tsx('scripts/build.ts', [`${app}.bundled`, ...engineArgs]);
    wasm = paths.bundledWasm;
  }
} catch {
  // The build printed why.
  process.exit(1);
}
try {
  tsx('cli/src/main.ts', ['run', relative(repoRoot, wasm), ...cliOptions, '--', ...inferletArgs]);
} catch (error) {
  process.exit((error as { status?: number }).status ?? 1);
}
