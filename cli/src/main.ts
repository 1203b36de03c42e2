#!/usr/bin/env node
/**
 * `inferlib`: one command for an inferlet project — `new`, `build`, `check`, `run`, `--version`. A project is
 * the folder of the nearest package.json (from the current folder) with an `inferlib.component` entry; the
 * library comes from the packages the toolchain depends on, as installed. Each command loads only what it uses
 * (the build's tools take a second to load), so `new` runs from the unpacked package alone.
 */
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type PackageJson,
  packageRootOf,
  projectAt,
  readPackageJsonSync,
  toolchainDir,
  toolchainPackage,
} from './project.ts';
import type { BuildTarget } from './targets.ts';

const usage = `usage: inferlib <command> [options]

  new <dir>                 a new inferlet project in <dir>, named after it (lower-case words joined by -)
  build [--engine E]        its single-engine build: dist/<name>.bundled.wasm, in the engine its package.json
        [--force]           names (QuickJS unless it says "starlingmonkey"), or E (quickjs, starlingmonkey)
  build --composed          its component composed with the library's by wac: dist/<name>.composed.wasm
                            (needs wac: cargo install wac-cli)
  check                     its imports against its world, and its types (tsc)
  run <component.wasm> …    runs an inferlet on the host-shim (inferlib run --help)
  --version                 this suite's version and the host ABI it targets

build and check work on the project of the current folder.`;

/** The suite's version (every package has it) and the host ABI its WIT is, as the host's bindings say. */
function versionText(): string {
  const { version } = readPackageJsonSync(toolchainDir);
  const bindingsDir = toolchainPackage('@inferlib/inferlet-bindings');
  const hostAbi = readPackageJsonSync<PackageJson & { inferlib?: { hostAbi?: string } }>(bindingsDir).inferlib
    ?.hostAbi;
  if (hostAbi === undefined) throw new Error(`${bindingsDir}/package.json has no inferlib.hostAbi`);
  return `inferlib ${version} (host ABI: ${hostAbi})`;
}

/** The inferlet project holding the current folder. */
async function currentApp(): Promise<BuildTarget> {
  const { loadTarget } = await import('./targets.ts');
  const root = packageRootOf(process.cwd());
  const app = await loadTarget(root, 'app', projectAt(root));
  if (app === undefined) {
    throw new Error(
      `${root}/package.json has no inferlib.component: no inferlet project (inferlib new <dir> makes one)`,
    );
  }
  return app;
}

async function build(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      composed: { type: 'boolean' },
      engine: { type: 'string' },
      force: { type: 'boolean' },
    },
  });
  const { componentJob, runBuilds, singleEngineJob } = await import('./build.ts');
  const { installedModules, parseEngine, providersFor } = await import('./targets.ts');
  const app = await currentApp();
  const modules = installedModules();
  const force = values.force === true;
  if (values.composed === true) {
    if (values.engine !== undefined)
      throw new Error(
        "--engine with --composed: a composed build is of StarlingMonkey components; --engine names the single-engine build's",
      );
    await runBuilds(app.project, [() => componentJob(app)], { force });
    const started = performance.now();
    const { composeApp } = await import('./compose.ts');
    await composeApp(app, providersFor(app, modules), 'inferlib build --composed');
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `compose ${app.name.padEnd(22)} ${seconds.padStart(15)} s  ${relative(app.project.root, app.composedWasm)}`,
    );
    return;
  }
  const engine = values.engine === undefined ? app.engine : parseEngine(values.engine, '--engine');
  await runBuilds(app.project, [() => singleEngineJob(app, modules, engine)], {
    force,
    bundled: [{ from: app.engineWasm[engine], to: app.bundledWasm }],
  });
}

async function check(): Promise<void> {
  const { bundleAgainstWorld, typecheckApp } = await import('./build.ts');
  const app = await currentApp();
  await bundleAgainstWorld(app);
  typecheckApp(app);
  console.log(`check: ${app.name} imports what its world does, and typechecks`);
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'new': {
      const [dir, ...extra] = rest;
      if (dir === undefined || extra.length > 0) throw new Error('usage: inferlib new <dir>');
      const { createProject } = await import('./new.ts');
      const target = resolve(dir);
      const written = await createProject(target);
      console.log(`new: wrote ${written.join(', ')} in ${target}`);
      console.log(
        `\nnext: cd ${relative(process.cwd(), target)} && npm install && npm test && npm start -- Hello there`,
      );
      return 0;
    }
    case 'build':
      await build(rest);
      return 0;
    case 'check':
      if (rest.length > 0) throw new Error(`check takes no arguments (given: ${rest.join(' ')})`);
      await check();
      return 0;
    case 'run':
      return (await import('@inferlib/host-shim')).runCommand(rest);
    case '--version':
    case '-v':
      console.log(versionText());
      return 0;
    case '--help':
    case '-h':
      console.log(usage);
      return 0;
    default:
      console.error(
        command === undefined ? usage : `inferlib: no command ${JSON.stringify(command)}\n\n${usage}`,
      );
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  // A build's error is the message, not a stack: it names the file and the cause.
  console.error(`inferlib: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
