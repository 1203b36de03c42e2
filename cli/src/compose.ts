/**
 * Composes an app with the library components it needs, directly or through other components, into
 * `<app folder>/dist/<app>.composed.wasm` (the workspace's `pnpm compose`, a project's `inferlib build --composed`). The wiring comes from the worlds:
 * a component that imports `inferlib:x/y` gets the one module that exports it (or the alternative the app
 * names in `use`). Each module is instantiated
 * once and shared (context and the app use the same model instance), which `wac plug` cannot express, so a
 * WAC script is generated and run with `wac compose`. Host imports (`inferlet:*`, `wasi:*`) pass through.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import {
  type BuildRecord,
  readBuildRecord,
  rebasedSources,
  sourceMapPath,
  writeBuildRecord,
} from './build-record.ts';
import type { BuildTarget, LibraryModule } from './targets.ts';

const run = promisify(execFile);

/** An app may share its name with a module (the `chat` example, the `chat` module): their names differ. */
const packageName = (target: LibraryModule): string =>
  `${target.kind === 'app' ? 'inferlib-app' : 'inferlib-component'}:${target.name}`;
/** WAC names are kebab-case, as package folders are; a composition has one app. */
const variable = (target: LibraryModule): string => (target.kind === 'app' ? 'app' : target.name);

/** The modules `app` needs, each after the modules it needs itself. */
function instantiationOrder(
  app: LibraryModule,
  exporters: ReadonlyMap<string, LibraryModule>,
): LibraryModule[] {
  const order: LibraryModule[] = [];
  const visiting = new Set<LibraryModule>();
  const visit = (target: LibraryModule) => {
    if (order.includes(target)) return;
    if (visiting.has(target)) throw new Error(`${target.name}: its imports form a cycle`);
    visiting.add(target);
    for (const dependency of dependenciesOf(target, exporters)) visit(dependency);
    order.push(target);
  };
  visit(app);
  return order;
}

function dependenciesOf(
  target: LibraryModule,
  exporters: ReadonlyMap<string, LibraryModule>,
): LibraryModule[] {
  return target.world.imports
    .filter((iface) => iface.startsWith('inferlib:'))
    .map((iface) => {
      const exporter = exporters.get(iface);
      if (exporter === undefined) throw new Error(`${target.name} imports ${iface}, which no module exports`);
      return exporter;
    });
}

/** The WAC script of `app`'s composition. */
function compositionScript(app: LibraryModule, exporters: ReadonlyMap<string, LibraryModule>): string {
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

/**
 * Composes `app` with the modules that export what it imports (`exporters`, from `providersFor`) through `wac
 * compose`; `rebuild` is the command that builds a missing component (`pnpm build`, `inferlib build`).
 */
export async function composeApp(
  app: BuildTarget,
  exporters: ReadonlyMap<string, LibraryModule>,
  rebuild: string,
): Promise<void> {
  const { root, cacheDir } = app.project;
  const components = instantiationOrder(app, exporters);
  for (const component of components) {
    if (!existsSync(component.wasm)) {
      throw new Error(`${relative(root, component.wasm)} is missing: run \`${rebuild}\` first`);
    }
  }
  const scriptPath = join(cacheDir, 'compose', `${app.name}.wac`);
  await mkdir(join(scriptPath, '..'), { recursive: true });
  await writeFile(scriptPath, compositionScript(app, exporters));
  const deps = components.flatMap((component) => ['--dep', `${packageName(component)}=${component.wasm}`]);
  try {
    await run('wac', ['compose', scriptPath, ...deps, '-o', app.composedWasm]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'wac is not installed: the composed build needs it (cargo install wac-cli; the single-engine build does not)',
      );
    }
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(
      `wac compose ${relative(root, scriptPath)} failed:\n${stderr.replace(/\nStack backtrace:[\s\S]*/, '')}`,
    );
  }
  await writeBuildRecord(
    app.composedWasm,
    await compositionRecord(components, app.composedWasm, root, rebuild),
  );
  // The app's frames in a stack are mapped by its own component's source map.
  if (existsSync(sourceMapPath(app.wasm)))
    await copyFile(sourceMapPath(app.wasm), sourceMapPath(app.composedWasm));
}

/**
 * A composition is built from its components: their records together, so that a test sees it stale too. A
 * library component installed from its package has no record (its sources were another project's): its bytes
 * stand for it.
 */
async function compositionRecord(
  components: readonly LibraryModule[],
  composedWasm: string,
  root: string,
  rebuild: string,
): Promise<BuildRecord> {
  const inputsHash = createHash('sha256');
  let sources: BuildRecord['sources'] = {};
  for (const component of components) {
    const record = await readBuildRecord(component.wasm);
    if (record !== undefined) {
      inputsHash.update(record.inputsHash);
      sources = { ...sources, ...rebasedSources(record, component.wasm, composedWasm) };
    } else if (component.kind === 'module') {
      inputsHash.update(await readFile(component.wasm));
    } else {
      throw new Error(`${relative(root, component.wasm)} has no build record: run \`${rebuild}\` first`);
    }
  }
  return { inputsHash: inputsHash.digest('hex'), sources };
}
