/**
 * Composes every app (`examples/*`, `test/fixtures/*`), or those named, with the library components it needs, directly or
 * through other components, into `<app folder>/dist/<app>.composed.wasm`. The wiring comes from the worlds:
 * a component that imports `inferlib:x/y` gets the one module that exports it (or the alternative the app
 * names in `use`). Each module is instantiated
 * once and shared (context and the app use the same model instance), which `wac plug` cannot express, so a
 * WAC script is generated and run with `wac compose`. Host imports (`inferlet:*`, `wasi:*`) pass through.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { type BuildRecord, readBuildRecord, sourceMapPath, writeBuildRecord } from './lib/build-record.ts';
import { cacheRoot, repoRoot } from './lib/paths.ts';
import { type BuildTarget, loadTargets, providersFor } from './lib/targets.ts';

const run = promisify(execFile);

/** An app may share its name with a module (the `chat` example, the `chat` module): their names differ. */
const packageName = (target: BuildTarget): string =>
  `${target.kind === 'app' ? 'inferlib-app' : 'inferlib-component'}:${target.name}`;
/** WAC names are kebab-case, as package folders are; a composition has one app. */
const variable = (target: BuildTarget): string => (target.kind === 'app' ? 'app' : target.name);

/** The modules `app` needs, each after the modules it needs itself. */
function instantiationOrder(app: BuildTarget, exporters: Map<string, BuildTarget>): BuildTarget[] {
  const order: BuildTarget[] = [];
  const visiting = new Set<BuildTarget>();
  const visit = (target: BuildTarget) => {
    if (order.includes(target)) return;
    if (visiting.has(target)) throw new Error(`${target.name}: its imports form a cycle`);
    visiting.add(target);
    for (const dependency of dependenciesOf(target, exporters)) visit(dependency);
    order.push(target);
  };
  visit(app);
  return order;
}

function dependenciesOf(target: BuildTarget, exporters: Map<string, BuildTarget>): BuildTarget[] {
  return target.world.imports
    .filter((iface) => iface.startsWith('inferlib:'))
    .map((iface) => {
      const exporter = exporters.get(iface);
      if (exporter === undefined) throw new Error(`${target.name} imports ${iface}, which no module exports`);
      return exporter;
    });
}

/** The WAC script of `app`'s composition. */
function compositionScript(app: BuildTarget, exporters: Map<string, BuildTarget>): string {
  const lines = [`package inferlib-composition:${app.name};`, ''];
  for (const target of instantiationOrder(app, exporters)) {
    const spreads = dependenciesOf(target, exporters).map((dependency) => `...${variable(dependency)}, `);
    lines.push(
      `let ${variable(target)} = new ${packageName(target)} { ${[...new Set(spreads)].join('')}... };`,
    );
  }
  lines.push('', `export ${variable(app)}["inferlet:core/run"];`, '');
  return lines.join('\n');
}

async function composeApp(app: BuildTarget, exporters: Map<string, BuildTarget>): Promise<void> {
  const components = instantiationOrder(app, exporters);
  for (const component of components) {
    if (!existsSync(component.wasm)) {
      throw new Error(`${relative(repoRoot, component.wasm)} is missing: run \`pnpm build\` first`);
    }
  }
  const scriptPath = join(cacheRoot, 'compose', `${app.name}.wac`);
  await mkdir(join(scriptPath, '..'), { recursive: true });
  await writeFile(scriptPath, compositionScript(app, exporters));
  const deps = components.flatMap((component) => ['--dep', `${packageName(component)}=${component.wasm}`]);
  try {
    await run('wac', ['compose', scriptPath, ...deps, '-o', app.composedWasm]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(
      `wac compose ${relative(repoRoot, scriptPath)} failed:\n${stderr.replace(/\nStack backtrace:[\s\S]*/, '')}`,
    );
  }
  await writeBuildRecord(app.composedWasm, await compositionRecord(components));
  // The app's frames in a stack are mapped by its own component's source map.
  if (existsSync(sourceMapPath(app.wasm)))
    await copyFile(sourceMapPath(app.wasm), sourceMapPath(app.composedWasm));
}

/** A composition is built from its components: their records together, so that a test sees it stale too. */
async function compositionRecord(components: readonly BuildTarget[]): Promise<BuildRecord> {
  const inputsHash = createHash('sha256');
  let sources: BuildRecord['sources'] = {};
  for (const component of components) {
    const record = await readBuildRecord(component.wasm);
    if (record === undefined) {
      throw new Error(`${relative(repoRoot, component.wasm)} has no build record: run \`pnpm build\` first`);
    }
    inputsHash.update(record.inputsHash);
    sources = { ...sources, ...record.sources };
  }
  return { inputsHash: inputsHash.digest('hex'), sources };
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const targets = await loadTargets();
  const modules = targets.filter((target) => target.kind === 'module');
  const apps = targets.filter((target) => target.kind === 'app');
  const unknown = wanted.filter((name) => !apps.some((app) => app.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `no app named ${unknown.join(', ')} (there are: ${apps.map((app) => app.name).join(', ')})`,
    );
  }
  for (const app of apps.filter((target) => wanted.length === 0 || wanted.includes(target.name))) {
    const started = performance.now();
    process.stdout.write(`compose ${app.name.padEnd(16)} `);
    await composeApp(app, providersFor(app, modules));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${seconds.padStart(5)} s  ${relative(repoRoot, app.composedWasm)}`);
  }
}

await main().catch((error: unknown) => {
  console.error(`\ncompose: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
