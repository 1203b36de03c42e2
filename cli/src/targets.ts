/**
 * Build targets: a package whose package.json has an `inferlib.component` entry is bundled from
 * `src/component.ts` and componentized against its world. The library's modules, as an app's build needs them,
 * come from the toolchain's dependencies (`installedModules`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { allowWitFileAccess, type ComponentizeFeature } from './componentize.ts';
import {
  type PackageJson as PlainPackageJson,
  type Project,
  packageDir,
  readPackageJsonSync,
  toolchainDir,
  toolchainPackage,
} from './project.ts';
import {
  readWitPackage,
  readWitTree,
  stageWit,
  unversioned,
  type WitPackage,
  WitRegistry,
  witFingerprint,
} from './wit.ts';

/** The JS engine of an app's single-engine build: QuickJS (componentize-qjs) or StarlingMonkey (componentize-js). */
export const singleEngines = ['quickjs', 'starlingmonkey'] as const;
export type SingleEngine = (typeof singleEngines)[number];
/** The engine of an app whose manifest names none (docs/decisions.md, 2026-12-04). */
export const defaultEngine: SingleEngine = 'quickjs';

/** `value` as an engine, or an error naming where it came from and the engines there are. */
export function parseEngine(value: unknown, where: string): SingleEngine {
  if (singleEngines.includes(value as SingleEngine)) return value as SingleEngine;
  throw new Error(`${where}: engine ${JSON.stringify(value)} is none of ${singleEngines.join(', ')}`);
}

interface ComponentManifest {
  /** The world the component targets, in the package at `wit`. */
  readonly world: string;
  /** Folder of the component's own WIT package, relative to the package. */
  readonly wit: string;
  /** componentize-js features the component uses; `stdio` is always kept so that traps print. */
  readonly features?: readonly ComponentizeFeature[];
  /**
   * Host interfaces a library module calls only when an app calls it directly (queue: `set-adapter`,
   * `set-adapter-seed`). A single-engine app whose world does not import the module's interface cannot
   * reach those calls, so it links stand-ins that throw, and its component does not import them.
   */
  readonly onBehalfOfApp?: readonly string[];
  /**
   * Interfaces of other modules through which an app reaches the `onBehalfOfApp` calls too (queue:
   * `inferlib:context/adapters`, whose calls the context makes on each of its passes).
   */
  readonly reachedThrough?: readonly string[];
  /**
   * A module that exports the interfaces of another (`context-pld` of `context`): used only by the apps that
   * name it in `use`.
   */
  readonly alternativeOf?: string;
  /** An app's alternative modules, by folder name, linked in place of the modules they are alternatives of. */
  readonly use?: readonly string[];
  /** The engine of an app's single-engine build (`dist/<app>.bundled.wasm`); {@link defaultEngine} if absent. */
  readonly engine?: SingleEngine;
}

/** What an app's build needs of a library module (or of another target): its interfaces and where it is. */
export interface LibraryModule {
  /** Short name: the package folder (`brle`, `hello`); a library module's package is `@inferlib/<name>`. */
  readonly name: string;
  /** A library module (`packages/*`) exports an interface; an app (`examples/*`, a project) runs. */
  readonly kind: 'module' | 'app';
  /** The interfaces the target's world imports and exports (`inferlib:brle/encoding`, …). */
  readonly world: { readonly imports: readonly string[]; readonly exports: readonly string[] };
  readonly dir: string;
  readonly manifest: ComponentManifest;
  readonly wasm: string;
}

export interface BuildTarget extends LibraryModule {
  readonly entry: string;
  /** What a library module's component imports and exports, for apps built from the installed package. */
  readonly worldJson: string;
  /** An app composed with the library components it needs (`pnpm compose`). */
  readonly composedWasm: string;
  /** An app's single-engine build: the app and every library module it uses, in one component, in its engine. */
  readonly bundledWasm: string;
  /** The app's single-engine build in each engine, for comparing them (`bundledWasm` is a copy of one). */
  readonly engineWasm: Readonly<Record<SingleEngine, string>>;
  /** The engine of `bundledWasm` as the manifest says (the build may be told another). */
  readonly engine: SingleEngine;
  /** The WIT package the world is in, and the registry its dependencies resolve in. */
  readonly wit: WitPackage;
  readonly registry: WitRegistry;
  /** The bindings packages it depends on, directly or through others: their WIT and declarations. */
  readonly bindingsDirs: readonly string[];
  /** The project the target is built in. */
  readonly project: Project;
}

interface PackageJson extends PlainPackageJson {
  readonly inferlib?: { readonly component?: ComponentManifest };
}

/**
 * The WIT a target's world resolves against (and the bindings packages it comes from): its own package and
 * those in its `deps/`, plus the `generated/wit` of each bindings package it depends on, directly or through
 * other bindings packages — the same files an outside consumer gets, never `wit/` directly.
 */
async function targetRegistry(
  dir: string,
  pkg: PackageJson,
  own: WitPackage,
): Promise<{ registry: WitRegistry; bindingsDirs: string[] }> {
  // Packages no bindings package has (WASI beyond wasi:io, for the hostile fixture) sit in the world's `deps/`.
  const packages = [own, ...(await readWitTree(own.dir))];
  const seen = new Set<string>();
  const bindingsDirs: string[] = [];
  const visit = async (from: string, manifest: PackageJson) => {
    const bindings = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((name) =>
      /^@inferlib\/.*-bindings$/.test(name),
    );
    for (const name of bindings) {
      if (seen.has(name)) continue;
      seen.add(name);
      const bindingsDir = packageDir(name, from);
      bindingsDirs.push(bindingsDir);
      packages.push(...(await readWitTree(join(bindingsDir, 'generated', 'wit'))));
      await visit(bindingsDir, readPackageJsonSync<PackageJson>(bindingsDir));
    }
  };
  await visit(dir, pkg);
  return { registry: new WitRegistry(packages), bindingsDirs };
}

/**
 * The interfaces a world imports and exports, as wasm-tools resolves it (includes followed, interfaces a
 * `use` pulls in counted): jco embeds the world in a stand-in module, makes a component of it and prints its
 * WIT. Cached by the WIT's content, since it takes a second.
 */
async function worldItems(
  registry: WitRegistry,
  wit: WitPackage,
  world: string,
  project: Project,
): Promise<BuildTarget['world']> {
  const fingerprint = createHash('sha256').update(world).update(witFingerprint(registry, wit)).digest('hex');
  const cached = join(project.cacheDir, 'worlds', `${fingerprint.slice(0, 32)}.json`);
  try {
    return JSON.parse(await readFile(cached, 'utf8')) as BuildTarget['world'];
  } catch {
    // Not resolved yet.
  }
  // jco takes most of a second to import: only when a world is not cached (an edit → run needs none).
  const { componentEmbed, componentNew, componentWit } = await import('@bytecodealliance/jco');
  const staged = join(project.cacheDir, 'worlds', `${fingerprint.slice(0, 32)}-wit`);
  await stageWit(registry, wit, staged);
  allowWitFileAccess();
  const embedded = await componentEmbed({ dummy: true, witPath: staged, world } as Parameters<
    typeof componentEmbed
  >[0]);
  const printed: string = await componentWit(await componentNew(embedded, []));
  await rm(staged, { recursive: true, force: true });
  const items = (kind: 'import' | 'export') =>
    [...printed.matchAll(new RegExp(`^\\s*${kind}\\s+([a-z][a-z0-9:/.@-]*)\\s*;`, 'gm'))].map((match) =>
      unversioned(match[1] ?? ''),
    );
  const resolved = { imports: items('import'), exports: items('export') };
  await mkdir(join(cached, '..'), { recursive: true });
  await writeFile(cached, JSON.stringify(resolved));
  return resolved;
}

/** The built artifacts of the component in package folder `dir`: the one fact of where they are. */
export function artifactPaths(
  dir: string,
): Pick<BuildTarget, 'wasm' | 'worldJson' | 'composedWasm' | 'bundledWasm' | 'engineWasm'> {
  const name = basename(dir);
  return {
    wasm: join(dir, 'dist', `${name}.wasm`),
    worldJson: join(dir, 'dist', `${name}.world.json`),
    composedWasm: join(dir, 'dist', `${name}.composed.wasm`),
    bundledWasm: join(dir, 'dist', `${name}.bundled.wasm`),
    engineWasm: {
      quickjs: join(dir, 'dist', `${name}.quickjs.wasm`),
      starlingmonkey: join(dir, 'dist', `${name}.starlingmonkey.wasm`),
    },
  };
}

/** Refuses a package whose dependencies were never installed (a new one, before `pnpm install`). */
function checkInstalled(dir: string, pkg: PackageJson, project: Project): void {
  const missing = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => {
    try {
      packageDir(name, dir);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `${relative(project.root, dir) || '.'}: ${missing.join(', ')} not installed; run pnpm install (or npm install)`,
    );
  }
}

/** The component of the package in `dir`, or `undefined` when its package.json has no `inferlib.component`. */
export async function loadTarget(
  dir: string,
  kind: BuildTarget['kind'],
  project: Project,
): Promise<BuildTarget | undefined> {
  const pkg = readPackageJsonSync<PackageJson>(dir);
  const manifest = pkg.inferlib?.component;
  if (manifest === undefined) return undefined;
  checkInstalled(dir, pkg, project);
  const name = basename(dir);
  const wit = await readWitPackage(resolve(dir, manifest.wit));
  const { registry, bindingsDirs } = await targetRegistry(dir, pkg, wit);
  return {
    name,
    kind,
    world: await worldItems(registry, wit, manifest.world, project),
    dir,
    manifest,
    entry: join(dir, 'src', 'component.ts'),
    ...artifactPaths(dir),
    engine:
      manifest.engine === undefined
        ? defaultEngine
        : parseEngine(
            manifest.engine,
            `${join(relative(project.root, dir), 'package.json')} inferlib.component`,
          ),
    wit,
    registry,
    bindingsDirs,
    project,
  };
}

/**
 * The library modules the toolchain depends on (`@inferlib/context`, …), as installed: each one's manifest,
 * sources, built component and the interfaces it imports and exports, which its build wrote beside the component
 * (`dist/<name>.world.json`), since its WIT stays in the repository it was built in.
 */
export function installedModules(): LibraryModule[] {
  const dependencies = Object.keys(readPackageJsonSync(toolchainDir).dependencies ?? {});
  return dependencies
    .filter((name) => name.startsWith('@inferlib/'))
    .map(toolchainPackage)
    .flatMap((dir): LibraryModule[] => {
      const manifest = readPackageJsonSync<PackageJson>(dir).inferlib?.component;
      if (manifest === undefined) return [];
      const { wasm, worldJson } = artifactPaths(dir);
      if (!existsSync(worldJson)) {
        throw new Error(`${worldJson} is missing: ${basename(dir)}'s package was packed before its build`);
      }
      const world = JSON.parse(readFileSync(worldJson, 'utf8')) as LibraryModule['world'];
      return [{ name: basename(dir), kind: 'module', world, dir, manifest, wasm }];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The module that provides each `inferlib:*` interface to `app`: the one exporting it, or the alternative the
 * app names in `use`.
 */
export function providersFor(
  app: LibraryModule,
  modules: readonly LibraryModule[],
): Map<string, LibraryModule> {
  const providers = new Map<string, LibraryModule>();
  for (const module of modules.filter((candidate) => candidate.manifest.alternativeOf === undefined)) {
    for (const iface of module.world.exports) providers.set(iface, module);
  }
  for (const name of app.manifest.use ?? []) {
    const alternative = modules.find((module) => module.name === name);
    if (alternative?.manifest.alternativeOf === undefined) {
      const known = modules.filter((module) => module.manifest.alternativeOf !== undefined);
      throw new Error(
        `${app.name} uses ${JSON.stringify(name)}, which is no alternative module (there are: ${known.map((module) => module.name).join(', ')})`,
      );
    }
    const original = modules.find((module) => module.name === alternative.manifest.alternativeOf);
    const missing = original?.world.exports.filter((iface) => !alternative.world.exports.includes(iface));
    if (missing === undefined || missing.length > 0) {
      throw new Error(
        `${alternative.name} is an alternative of ${JSON.stringify(alternative.manifest.alternativeOf)}, ${missing === undefined ? 'which is no module' : `but does not export ${missing.join(', ')}`}`,
      );
    }
    for (const iface of alternative.world.exports) providers.set(iface, alternative);
  }
  return providers;
}
