/**
 * How the library links in one JS engine. Each `inferlib:<package>/<interface>` import resolves to
 * `@inferlib/<package>/src/index.ts` as the toolchain resolves it (`packages/<package>` in this workspace):
 * the interface as plain TypeScript, the same code a module's
 * `component.ts` exports. Host imports (`inferlet:*`, `wasi:*`) stay imports of the single-engine component
 * (`external`), or, in Node, come from the host-shim instance bound with `bindHost` (`bound`): tests and
 * benchmarks run the library's sources with no component in between.
 */
import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { Plugin } from 'esbuild';
import { packageDir, readPackageJsonSync, toolchainDir, toolchainPackage } from './project.ts';
import { unversioned } from './wit.ts';

const libraryImport = /^inferlib:([a-z][a-z0-9-]*)\/[a-z][a-z0-9-]*$/;
const hostImport = /^(inferlet|wasi):/;

/** The package folder of a library module: `@inferlib/<name>`. */
const moduleDir = (name: string): string => toolchainPackage(`@inferlib/${name}`);

/**
 * The source an `inferlib:*` import resolves to, or `undefined` for any other specifier. `modules` maps a WIT
 * package name to the module folder that provides it when that is not the package's own (`context-pld`).
 */
function librarySource(specifier: string, modules?: ReadonlyMap<string, string>): string | undefined {
  const name = libraryImport.exec(specifier)?.[1];
  return name === undefined ? undefined : join(moduleDir(modules?.get(name) ?? name), 'src', 'index.ts');
}

/** Whether `file` is in library module `name`'s package. */
const isInModule = (file: string, name: string): boolean => file.startsWith(moduleDir(name) + sep);

/**
 * The folders of the library's packages: those the toolchain depends on but the host-shim (the modules, the
 * host's bindings) and the `@inferlib/*` packages they depend on (`support`).
 */
export function libraryPackageDirs(): string[] {
  const dirs = new Set<string>();
  const visit = (dir: string) => {
    if (dirs.has(dir)) return;
    dirs.add(dir);
    const dependencies = Object.keys(readPackageJsonSync(dir).dependencies ?? {});
    for (const name of dependencies.filter((each) => each.startsWith('@inferlib/'))) {
      visit(packageDir(name, dir));
    }
  };
  for (const name of Object.keys(readPackageJsonSync(toolchainDir).dependencies ?? {})) {
    if (name.startsWith('@inferlib/') && name !== '@inferlib/host-shim') visit(toolchainPackage(name));
  }
  return [...dirs].sort();
}

export const isHostImport = (specifier: string): boolean => hostImport.test(specifier);

/** The generated guest types of a host interface. */
export const hostTypesFile = (iface: string): string =>
  join(
    toolchainPackage('@inferlib/inferlet-bindings'),
    'generated',
    'types',
    `${iface.replace(/[:/]/g, '-')}.d.ts`,
  );

/** The functions and resource classes of a host interface, read from its generated guest types. */
export function hostExportNames(iface: string): string[] {
  const types = hostTypesFile(iface);
  let text: string;
  try {
    text = readFileSync(types, 'utf8');
  } catch {
    throw new Error(`${iface} is no host interface of @inferlib/inferlet-bindings (no ${types})`);
  }
  return [...text.matchAll(/^\s*export (?:function|class) ([A-Za-z0-9_]+)/gm)].map((match) => match[1] ?? '');
}

/** Where `bindHost` puts the import object that `bound` host modules read. */
const boundGlobal = '__inferlibBoundHost';

/**
 * Binds the host modules of the library copies loaded from now on to one instance's import object; each
 * copy keeps the instance it was loaded for, as each component instance keeps its imports.
 */
export function bindHost(imports: Readonly<Record<string, object>>): void {
  (globalThis as Record<string, unknown>)[boundGlobal] = imports;
}

/** A module with the exports `names` of host interface `iface`, taken from the bound import object. */
function boundHostModule(iface: string, names: readonly string[]): string {
  return [
    `const imports = globalThis.${boundGlobal}?.[${JSON.stringify(iface)}];`,
    `if (imports === undefined) throw new Error(${JSON.stringify(`${iface}: no host is bound (bindHost)`)});`,
    `export const { ${names.join(', ')} } = imports;`,
  ].join('\n');
}

/**
 * A module standing in for host interface `iface` in a single-engine app that cannot reach the calls that
 * use it (see `onBehalfOfApp` in targets.ts): each export throws, naming the call and why.
 */
function absentHostModule(iface: string, names: readonly string[]): string {
  return names
    .map(
      (name) =>
        `export function ${name}() { throw new Error(${JSON.stringify(
          `${iface}.${name}: this single-engine inferlet's world does not import ${iface}; import the library interface that calls it from the app's world`,
        )}); }`,
    )
    .join('\n');
}

interface LinkOptions {
  /** `external`: host imports stay imports (a component); `bound`: they are read from `bindHost`'s object. */
  readonly host: 'external' | 'bound';
  /**
   * Host interfaces to leave out when only the named library modules import them: interface to the
   * modules (by folder name) whose imports of it get a stand-in that throws.
   */
  readonly absent?: ReadonlyMap<string, ReadonlySet<string>>;
  /** WIT package name to the module folder providing it, where an app uses an alternative module. */
  readonly modules?: ReadonlyMap<string, string>;
}

/** The esbuild plugin of the single-engine link. */
export function linkLibrary(options: LinkOptions): Plugin {
  return {
    name: 'inferlib-link',
    setup(build) {
      build.onResolve({ filter: /^inferlib:/ }, ({ path, importer }) => {
        const source = librarySource(path, options.modules);
        if (source === undefined) {
          return { errors: [{ text: `${path} (imported by ${importer}) names no inferlib interface` }] };
        }
        return { path: source };
      });
      build.onResolve({ filter: hostImport }, ({ path, importer }) => {
        const iface = unversioned(path);
        const absentFrom = [...(options.absent?.get(iface) ?? [])];
        if (absentFrom.some((module) => isInModule(importer, module))) {
          return { path: iface, namespace: 'inferlib-absent-host' };
        }
        if (options.host === 'external') return { path, external: true };
        return { path: iface, namespace: 'inferlib-bound-host' };
      });
      build.onLoad({ filter: /.*/, namespace: 'inferlib-bound-host' }, ({ path }) => ({
        contents: boundHostModule(path, hostExportNames(path)),
        loader: 'js',
      }));
      build.onLoad({ filter: /.*/, namespace: 'inferlib-absent-host' }, ({ path }) => ({
        contents: absentHostModule(path, hostExportNames(path)),
        loader: 'js',
      }));
    },
  };
}

const boundModulePrefix = '\0inferlib-bound-host:';

/**
 * The same link as a Vite plugin, for vitest: `inferlib:*` imports run the library's sources in Node, and
 * host imports come from the instance bound with `bindHost` (reset the module registry to load a new copy).
 */
export function linkForVitest() {
  return {
    name: 'inferlib-link',
    enforce: 'pre' as const,
    resolveId(specifier: string): string | undefined {
      const source = librarySource(specifier);
      if (source !== undefined) return source;
      return isHostImport(specifier) ? `${boundModulePrefix}${unversioned(specifier)}` : undefined;
    },
    load(id: string): string | undefined {
      if (!id.startsWith(boundModulePrefix)) return undefined;
      const iface = id.slice(boundModulePrefix.length);
      return boundHostModule(iface, hostExportNames(iface));
    },
  };
}
