/**
 * Builds components, for the workspace's `pnpm build` and a project's `inferlib build`:
 *
 * - A module or app component (`componentJob`): `src/component.ts` bundled by esbuild with `inferlib:*`,
 *   `inferlet:*` and `wasi:*` imports kept external, componentized against the package's world.
 * - An app's single-engine build (`singleEngineJob`, `dist/<app>.<engine>.wasm`): the app bundled with every
 *   library module it uses, linked from their sources (linking.ts), componentized against a world derived from
 *   the host interfaces the bundle really imports, exporting `inferlet:core/run`, in the app's engine
 *   (`inferlib.component.engine`, or the one asked for): QuickJS through componentize-qjs (quickjs/),
 *   StarlingMonkey through componentize-js. `dist/<app>.bundled.wasm` is a copy of the app's engine's.
 *
 * A component whose inputs (bundle, WIT, world, features, tool version) hash the same as at its last build is
 * skipped, unless forced; what it was built from is recorded beside it (build-record.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, freemem } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { build as bundle, type Plugin } from 'esbuild';
import {
  readBuildRecord,
  rebasedSources,
  sameSources,
  sourceHashes,
  sourceMapPath,
  writeBuildRecord,
} from './build-record.ts';
import { type ComponentizeFeature, ComponentizeProcesses, componentizeFeatures } from './componentize.ts';
import { isHostImport, linkLibrary } from './linking.ts';
import { type Project, readPackageJsonSync, toolchainPackage } from './project.ts';
import {
  componentizeQuickJs,
  libraryWithoutSideEffects,
  quickJsBoundary,
  quickJsBuildDigest,
  quickJsEntry,
  quickJsScriptName,
  withPreludeWasi,
} from './quickjs/quickjs.ts';
import { type BuildTarget, type LibraryModule, providersFor, type SingleEngine } from './targets.ts';
import { typecheck } from './typecheck.ts';
import { readWitTree, stageWit, unversioned, type WitPackage, WitRegistry, witFingerprint } from './wit.ts';

const componentizeVersion: string = readPackageJsonSync(
  toolchainPackage('@bytecodealliance/componentize-js'),
).version;

/** One componentize run: a bundle and the world it is built against. */
export interface Componentization {
  /** The name on the progress line and of the work folder. */
  readonly name: string;
  /** Who componentizes it: componentize-js (StarlingMonkey) for every component, or componentize-qjs. */
  readonly engine: SingleEngine;
  readonly source: string;
  readonly inputs: readonly string[];
  readonly wit: WitPackage;
  readonly registry: WitRegistry;
  readonly world: string;
  readonly features: readonly ComponentizeFeature[];
  readonly wasm: string;
  /** Written beside the component (`<component>.map`), for the host-shim to map a stack to the sources. */
  readonly sourceMap?: string;
  /** Runs before componentizing changed inputs: an app's typecheck. */
  readonly check: () => void;
  /** The project it is built in: its bundle's inputs are relative to its folder. */
  readonly project: Project;
  /**
   * A library module's interfaces, written beside its component (`dist/<name>.world.json`): what an app built
   * from the installed package composes and links it by, its WIT being the repository's.
   */
  readonly interfaces?: { readonly file: string; readonly items: LibraryModule['world'] };
}

interface Bundle {
  readonly source: string;
  /** The bundle's source map, when asked for. */
  readonly sourceMap?: string;
  /** The files bundled, for a hash of the sources as written (types and comments included). */
  readonly inputs: readonly string[];
  /** The interfaces the bundle imports, as written; and the host ones (`inferlet:*`, `wasi:*`) among them. */
  readonly imports: readonly string[];
  readonly hostImports: readonly string[];
}

/**
 * The script's path for its source map: beside the component, so that the map's sources are relative to
 * `dist/`, named as the engine names the script in a stack.
 */
const scriptPath = (wasm: string, name: string): string => join(dirname(wasm), name);

/** A file, or a module's text with the folder its imports resolve from. */
type Entry = string | { readonly contents: string; readonly resolveDir: string };

interface BundleOptions {
  /** The folder the bundle's inputs are named relative to. */
  readonly root: string;
  readonly minify?: boolean;
  /**
   * The script's path as the engine names it in a stack (its file name is what counts): a source map is made
   * of it, whose sources are relative to its folder, for `dist/` (`<component>.map`).
   */
  readonly script?: string;
}

async function bundleEntry(
  entry: Entry,
  plugins: Plugin[],
  external: string[],
  { root, minify = false, script }: BundleOptions,
): Promise<Bundle> {
  const result = await bundle({
    absWorkingDir: root,
    // No names kept: the library reads no function's or class's `name`; a stack is mapped by positions.
    ...(minify ? { minify: true } : {}),
    ...(script === undefined ? {} : { sourcemap: 'external', sourcesContent: false, outfile: script }),
    ...(typeof entry === 'string' ? { entryPoints: [entry] } : { stdin: { ...entry, loader: 'js' } }),
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    external,
    plugins,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const output = Object.entries(result.metafile.outputs).find(([path]) => !path.endsWith('.map'))?.[1];
  const text = result.outputFiles.find((file) => !file.path.endsWith('.map'))?.text;
  const map = result.outputFiles.find((file) => file.path.endsWith('.map'))?.text;
  // The script's name, by which the host-shim knows the frames the map is for (esbuild leaves it out).
  const sourceMap =
    map === undefined || script === undefined
      ? undefined
      : JSON.stringify({ ...(JSON.parse(map) as object), file: basename(script) });
  if (output === undefined || text === undefined) {
    throw new Error(`esbuild produced no output for ${typeof entry === 'string' ? entry : entry.contents}`);
  }
  const imports = [
    ...new Set(output.imports.filter((item) => item.external).map((item) => item.path)),
  ].sort();
  return {
    source: text,
    ...(sourceMap === undefined ? {} : { sourceMap }),
    // Virtual modules of a plugin (`namespace:path`) and a text entry are no files; their code is in the bundle.
    inputs: Object.keys(result.metafile.inputs)
      .filter((input) => !input.includes(':') && input !== '<stdin>')
      .sort(),
    imports,
    hostImports: imports.filter(isHostImport),
  };
}

async function componentizeIfChanged(
  job: Componentization,
  force: boolean,
  processes: ComponentizeProcesses,
): Promise<'built' | 'unchanged'> {
  const kept = new Set<ComponentizeFeature>(['stdio', ...job.features]);
  const disableFeatures = componentizeFeatures.filter((feature) => !kept.has(feature));
  const inputsHash = createHash('sha256')
    .update(
      JSON.stringify({
        engine: job.engine,
        tool: job.engine === 'quickjs' ? quickJsBuildDigest : componentizeVersion,
        world: job.world,
        disableFeatures,
        wit: witFingerprint(job.registry, job.wit),
        source: job.source,
      }),
    )
    .digest('hex');
  // An edit that changes no bundled code (a type, a comment) builds nothing, but is typechecked.
  const files = job.inputs.map((input) => join(job.project.root, input));
  const record = { inputsHash, sources: await sourceHashes(job.wasm, files) };
  const built = await readBuildRecord(job.wasm);
  if (!force && built?.inputsHash === inputsHash && existsSync(job.wasm)) {
    if (!sameSources(built.sources, record.sources)) {
      job.check();
      // The same code from other sources (a comment added) moves the lines a stack is mapped to.
      if (job.sourceMap !== undefined) await writeFile(sourceMapPath(job.wasm), job.sourceMap);
      await writeBuildRecord(job.wasm, record);
    }
    return 'unchanged';
  }
  // By the artifact's path: a module and an app may share a name (packages/chat, examples/chat).
  const { root, cacheDir } = job.project;
  const workDir = join(cacheDir, 'build', relative(root, job.wasm).replace(/\.wasm$/, ''));
  const witDir = join(workDir, 'wit');
  const sourcePath = join(workDir, `${job.name}.js`);
  if (job.engine === 'quickjs') {
    await stageWit(job.registry, job.wit, witDir);
    await writeFile(sourcePath, job.source);
    // componentize-qjs works off the main thread, so the typecheck runs meanwhile; its error comes first.
    const componentized = componentizeQuickJs({ source: job.source, witPath: witDir, worldName: job.world });
    try {
      job.check();
    } catch (error) {
      await componentized.catch(() => undefined);
      throw error;
    }
    const component = await componentized;
    await mkdir(dirname(job.wasm), { recursive: true });
    await writeFile(job.wasm, component);
  } else {
    job.check();
    await stageWit(job.registry, job.wit, witDir);
    await writeFile(sourcePath, job.source);
    await processes.run({
      sourcePath,
      witPath: witDir,
      worldName: job.world,
      disableFeatures,
      wasm: job.wasm,
    });
  }
  if (job.sourceMap !== undefined) await writeFile(sourceMapPath(job.wasm), job.sourceMap);
  await writeBuildRecord(job.wasm, record);
  return 'built';
}

/** Apps typechecked in this run: an app's own component and its single-engine build share the sources. */
const typechecked = new Set<string>();

/** An app's sources, typechecked once per build (the library's are by the workspace's `pnpm typecheck`). */
export function typecheckApp(target: BuildTarget): void {
  if (target.kind !== 'app' || typechecked.has(target.entry)) return;
  typecheck(target.entry, target.project, target.bindingsDirs);
  typechecked.add(target.entry);
}

/** Refuses a bundle importing an interface its world does not, naming both files (componentize-js would fail obscurely). */
function checkWorldImports(target: BuildTarget, imports: readonly string[]): void {
  const declared = new Set(target.world.imports.map(unversioned));
  const missing = imports.filter((specifier) => !declared.has(unversioned(specifier)));
  if (missing.length === 0) return;
  const world = target.manifest.world;
  const file = [...target.wit.files].find(([, text]) =>
    new RegExp(`\\bworld\\s+${world}\\b`).test(text),
  )?.[0];
  const worldFile = relative(target.project.root, join(target.wit.dir, file ?? ''));
  throw new Error(
    `${relative(target.project.root, target.entry)} imports ${missing.join(', ')}, which world ${world} (${worldFile}) does not import: add ${missing.map((name) => `\`import ${unversioned(name)};\``).join(' ')} to the world`,
  );
}

/** `target` bundled alone, its interfaces imported (as its own component is built), checked against its world. */
export async function bundleAgainstWorld(target: BuildTarget, script?: string): Promise<Bundle> {
  const bundled = await bundleEntry(target.entry, [], ['inferlib:*', 'inferlet:*', 'wasi:*'], {
    root: target.project.root,
    ...(script === undefined ? {} : { script }),
  });
  checkWorldImports(target, bundled.imports);
  return bundled;
}

export async function componentJob(target: BuildTarget): Promise<Componentization> {
  const { source, sourceMap, inputs } = await bundleAgainstWorld(
    target,
    target.kind === 'app' ? scriptPath(target.wasm, `${target.name}.js`) : undefined,
  );
  return {
    ...(sourceMap === undefined ? {} : { sourceMap }),
    name: target.name,
    engine: 'starlingmonkey',
    source,
    inputs,
    wit: target.wit,
    registry: target.registry,
    world: target.manifest.world,
    features: target.manifest.features ?? [],
    wasm: target.wasm,
    check: () => typecheckApp(target),
    project: target.project,
    ...(target.kind === 'module' ? { interfaces: { file: target.worldJson, items: target.world } } : {}),
  };
}

/** The host interfaces that, in `app`'s single-engine build, only modules it cannot call directly import. */
function absentHostInterfaces(app: BuildTarget, modules: readonly LibraryModule[]) {
  const absent = new Map<string, Set<string>>();
  for (const module of modules) {
    const reaching = [...module.world.exports, ...(module.manifest.reachedThrough ?? [])];
    if (reaching.some((iface) => app.world.imports.includes(iface))) continue;
    for (const iface of module.manifest.onBehalfOfApp ?? []) {
      absent.set(iface, new Set([...(absent.get(iface) ?? []), module.name]));
    }
  }
  return absent;
}

/** The WIT packages (`context`) that `app` takes from an alternative module, with that module's folder. */
function alternativeSources(app: BuildTarget, modules: readonly LibraryModule[]): Map<string, string> {
  const sources = new Map<string, string>();
  for (const [iface, module] of providersFor(app, modules)) {
    if (module.manifest.alternativeOf === undefined) continue;
    sources.set(iface.replace(/^inferlib:([^/]+)\/.*$/, '$1'), module.name);
  }
  return sources;
}

/**
 * The componentize-js features of `app` and of every library module its bundle (`inputs`) links: a module
 * that needs one (`random` for the sampling of `context`) needs it wherever its code runs.
 */
function linkedFeatures(
  app: BuildTarget,
  modules: readonly LibraryModule[],
  inputs: readonly string[],
): ComponentizeFeature[] {
  const files = inputs.map((input) => join(app.project.root, input));
  const linked = modules.filter((module) => files.some((file) => file.startsWith(module.dir + sep)));
  return [...new Set([app, ...linked].flatMap((target) => target.manifest.features ?? []))];
}

/** The world checks of apps' single-engine builds in this run, by entry: both engines share one. */
const worldChecked = new Map<string, Promise<Bundle>>();

/** The host's WIT packages (`@inferlib/inferlet-bindings`), which a single-engine world imports from. */
let hostRegistry: Promise<WitRegistry> | undefined;

export async function singleEngineJob(
  app: BuildTarget,
  modules: readonly LibraryModule[],
  engine: SingleEngine,
): Promise<Componentization> {
  // The app's world says what it may import, whichever build links it: checked once for both engines.
  if (!worldChecked.has(app.entry)) worldChecked.set(app.entry, bundleAgainstWorld(app));
  await worldChecked.get(app.entry);
  hostRegistry ??= readWitTree(
    join(toolchainPackage('@inferlib/inferlet-bindings'), 'generated', 'wit'),
  ).then((packages) => new WitRegistry(packages));
  // The app's own packages too: those its world keeps in `deps/` (WASI beyond wasi:io).
  const packages = [...(await hostRegistry).packages, ...app.registry.packages];
  const registry = new WitRegistry(engine === 'quickjs' ? withPreludeWasi(packages) : packages);
  const absent = absentHostInterfaces(app, modules);
  const link = linkLibrary({ host: 'external', absent, modules: alternativeSources(app, modules) });
  const wasm = app.engineWasm[engine];
  const root = app.project.root;
  let { source, sourceMap, inputs, hostImports } = await bundleEntry(app.entry, [link], [], {
    root,
    script: scriptPath(wasm, `${app.name}.${engine}.js`),
  });
  if (engine === 'quickjs') {
    // Bundled again from an entry that adds the prelude this bundle needs.
    ({ source, sourceMap, inputs, hostImports } = await bundleEntry(
      quickJsEntry(app.entry, source),
      [quickJsBoundary(registry, new Set(absent.keys())), libraryWithoutSideEffects(), link],
      [],
      // QuickJS keeps the initialised heap, the functions' bytecode, in the component and in every instance.
      { root, minify: true, script: scriptPath(wasm, quickJsScriptName) },
    ));
  }
  // A world import names the interface with its package's version, as the registry has it.
  const imports = hostImports.map((specifier) => {
    const [pkg = '', name = ''] = unversioned(specifier).split('/');
    const version = registry.get(pkg).name.slice(pkg.length);
    return `${pkg}/${name}${version}`;
  });
  const world = `${app.name}-bundled`;
  const text = [
    `package inferlib-single-engine:${app.name};`,
    '',
    `/// ${app.name} and the library modules it uses, in one component: the host interfaces its code imports.`,
    `world ${world} {`,
    ...imports.map((iface) => `  import ${iface};`),
    '  export inferlet:core/run;',
    '}',
    '',
  ].join('\n');
  const wit: WitPackage = {
    name: `inferlib-single-engine:${app.name}`,
    dir: join(app.project.cacheDir, 'build', `${app.name}.bundled`),
    dependencies: [
      ...new Set(['inferlet:core', ...hostImports.map((specifier) => specifier.split('/')[0] ?? '')]),
    ].sort(),
    files: new Map([['world.wit', text]]),
  };
  return {
    name: `${app.name}.${engine}`,
    engine,
    source,
    inputs,
    wit,
    registry,
    world,
    features: linkedFeatures(app, modules, inputs),
    wasm,
    ...(sourceMap === undefined ? {} : { sourceMap }),
    check: () => typecheckApp(app),
    project: app.project,
  };
}

/** A single-engine build to copy to `dist/<app>.bundled.wasm` once built (the app's engine's). */
export interface BundledCopy {
  readonly from: string;
  readonly to: string;
}

/**
 * Runs `jobs` (each made when its turn comes: bundling is part of the work), as many at once as there are cores
 * and memory for, printing a line for each; then copies each single-engine build of `bundled` to its place.
 */
export async function runBuilds(
  project: Project,
  jobs: readonly (() => Promise<Componentization>)[],
  {
    force = false,
    bundled = [],
  }: { readonly force?: boolean; readonly bundled?: readonly BundledCopy[] } = {},
): Promise<void> {
  // componentize-js peaks near 800 MB per component: as many at once as there are cores and memory for.
  const parallel = Math.max(1, Math.min(availableParallelism(), Math.floor(freemem() / 1.2e9), jobs.length));
  const pending = [...jobs];
  const processes = new ComponentizeProcesses();
  const worker = async () => {
    for (let makeJob = pending.shift(); makeJob !== undefined; makeJob = pending.shift()) {
      const started = performance.now();
      const job = await makeJob();
      const outcome = await componentizeIfChanged(job, force, processes);
      if (job.interfaces !== undefined) {
        await writeFile(job.interfaces.file, `${JSON.stringify(job.interfaces.items)}\n`);
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `build ${job.name.padEnd(24)} ${outcome.padEnd(9)} ${seconds.padStart(5)} s  ${relative(project.root, job.wasm)}`,
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    processes.close();
  }
  for (const { from, to } of bundled) {
    await copyFile(from, to);
    if (existsSync(sourceMapPath(from))) await copyFile(sourceMapPath(from), sourceMapPath(to));
    const record = await readBuildRecord(from);
    if (record !== undefined)
      await writeBuildRecord(to, { ...record, sources: rebasedSources(record, from, to) });
  }
}
