/**
 * `pnpm build [name…] [--engine quickjs|starlingmonkey] [--force]`: builds the workspace's components, every one
 * or those named (`brle`, `text-completion`, and `text-completion.bundled` for an app's single-engine build
 * alone), with the toolchain's build (cli/src/build.ts). `<app>.quickjs` and `<app>.starlingmonkey` build an app's
 * single-engine build in that engine only (`dist/<app>.<engine>.wasm`); with no name given, both are built for
 * every app and `bundled` is a copy of the app's engine's (or the one `--engine` names).
 */
import { pathToFileURL } from 'node:url';
import {
  type BundledCopy,
  type Componentization,
  componentJob,
  runBuilds,
  singleEngineJob,
} from '../cli/src/build.ts';
import { parseEngine, type SingleEngine, singleEngines } from '../cli/src/targets.ts';
import { workspace } from './lib/paths.ts';
import { loadTargets } from './lib/workspace-targets.ts';

/** `--engine quickjs|starlingmonkey` (or `--engine=…`) and the other arguments. */
function parseArguments(args: readonly string[]) {
  const rest: string[] = [];
  let engine: SingleEngine | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '--engine' || arg.startsWith('--engine=')) {
      const value = arg === '--engine' ? args[++index] : arg.slice('--engine='.length);
      engine = parseEngine(value, '--engine');
    } else {
      rest.push(arg);
    }
  }
  return { force: rest.includes('--force'), wanted: rest.filter((arg) => arg !== '--force'), engine };
}

async function main(): Promise<void> {
  const { force, wanted, engine: engineOverride } = parseArguments(process.argv.slice(2));
  const targets = await loadTargets();
  const modules = targets.filter((target) => target.kind === 'module');
  const jobs: (() => Promise<Componentization>)[] = [];
  const names: string[] = [];
  const bundled: BundledCopy[] = [];
  const isWanted = (name: string) => wanted.length === 0 || wanted.includes(name);
  for (const target of targets) {
    names.push(target.name);
    if (isWanted(target.name)) jobs.push(() => componentJob(target));
    if (target.kind !== 'app') continue;
    const engine = engineOverride ?? target.engine;
    names.push(`${target.name}.bundled`, ...singleEngines.map((each) => `${target.name}.${each}`));
    for (const each of singleEngines) {
      const asBundled = each === engine && isWanted(`${target.name}.bundled`);
      if (asBundled || isWanted(`${target.name}.${each}`))
        jobs.push(() => singleEngineJob(target, modules, each));
      if (asBundled) bundled.push({ from: target.engineWasm[each], to: target.bundledWasm });
    }
  }
  const unknown = wanted.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new Error(`no component named ${unknown.join(', ')} (there are: ${names.join(', ')})`);
  }
  await runBuilds(workspace, jobs, { force, bundled });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // A build error is the message, not a stack: it names the file and the cause.
  await main().catch((error: unknown) => {
    console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
