/**
 * WIT packages on disk: finding them, their dependencies, and staging a package with its transitive
 * dependencies into the `root + deps/` layout that wit-parser (componentize-js, jco, wac) resolves.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface WitPackage {
  /** `namespace:name` or `namespace:name@version`. */
  readonly name: string;
  /** The folder holding the package's `.wit` files. */
  readonly dir: string;
  /** Names (without version) of the packages this one refers to. */
  readonly dependencies: readonly string[];
  /** File name to text, sorted by file name. */
  readonly files: ReadonlyMap<string, string>;
}

const packageDeclaration = /^\s*package\s+([a-z][a-z0-9-]*:[a-z][a-z0-9-]*(?:@[0-9A-Za-z.+-]+)?)\s*;/m;
const foreignReference = /\b([a-z][a-z0-9-]*:[a-z][a-z0-9-]*)(?:\/|\.|@|;)/g;

/** The package name without its version: `wasi:io@0.2.4` -> `wasi:io`. */
export const unversioned = (name: string): string => name.replace(/@.*$/, '');

/** Text without `//` comments, so that names mentioned in prose do not count as references. */
const stripComments = (text: string): string => text.replace(/\/\/.*$/gm, '');

export async function readWitPackage(dir: string): Promise<WitPackage> {
  const fileNames = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.wit'))
    .map((entry) => entry.name)
    .sort();
  if (fileNames.length === 0) throw new Error(`no .wit files in ${dir}`);
  const files = new Map<string, string>();
  let name: string | undefined;
  const dependencies = new Set<string>();
  for (const fileName of fileNames) {
    const text = await readFile(join(dir, fileName), 'utf8');
    files.set(fileName, text);
    const code = stripComments(text);
    const declared = packageDeclaration.exec(code)?.[1];
    if (declared === undefined) throw new Error(`${join(dir, fileName)}: no package declaration`);
    if (name !== undefined && name !== declared) {
      throw new Error(`${dir}: files declare two packages, ${name} and ${declared}`);
    }
    name = declared;
    const body = code.replace(packageDeclaration, '');
    for (const match of body.matchAll(foreignReference)) {
      if (match[1] !== undefined) dependencies.add(match[1]);
    }
  }
  if (name === undefined) throw new Error(`${dir}: no package declaration`);
  dependencies.delete(unversioned(name));
  return { name, dir, dependencies: [...dependencies].sort(), files };
}

/** Every package folder directly below `root` and below `root/deps`. */
export async function readWitTree(root: string): Promise<WitPackage[]> {
  const packages: WitPackage[] = [];
  for (const base of [root, join(root, 'deps')]) {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(base, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory() && entry.name !== 'deps')
        packages.push(await readWitPackage(join(base, entry.name)));
    }
  }
  return packages;
}

export class WitRegistry {
  readonly #byName = new Map<string, WitPackage>();

  constructor(packages: Iterable<WitPackage>) {
    for (const pkg of packages) {
      const key = unversioned(pkg.name);
      const known = this.#byName.get(key);
      if (known === undefined) this.#byName.set(key, pkg);
      else if (known.name !== pkg.name) {
        throw new Error(`two versions of ${key}: ${known.name} (${known.dir}) and ${pkg.name} (${pkg.dir})`);
      }
    }
  }

  get(name: string): WitPackage {
    const pkg = this.#byName.get(unversioned(name));
    if (pkg === undefined) throw new Error(`WIT package ${name} is not available`);
    return pkg;
  }

  get packages(): WitPackage[] {
    return [...this.#byName.values()];
  }

  /** The packages `root` depends on, directly or not, in a stable order (not including `root`). */
  transitiveDependencies(root: WitPackage): WitPackage[] {
    const seen = new Map<string, WitPackage>();
    const visit = (pkg: WitPackage) => {
      for (const dependency of pkg.dependencies) {
        if (seen.has(dependency)) continue;
        const resolved = this.get(dependency);
        seen.set(dependency, resolved);
        visit(resolved);
      }
    };
    visit(root);
    return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** The folder name a package gets under `deps/`: `wasi:io@0.2.4` -> `wasi-io-0.2.4`. */
export const depsFolderName = (name: string): string => name.replace(/[:@]/g, '-');

async function writePackage(pkg: WitPackage, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [file, text] of pkg.files) await writeFile(join(dir, file), text);
}

/**
 * Writes `root`'s files to `outDir` and each transitive dependency to `outDir/deps/<name>/`, replacing
 * whatever `outDir` held.
 */
export async function stageWit(registry: WitRegistry, root: WitPackage, outDir: string): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await writePackage(root, outDir);
  for (const dependency of registry.transitiveDependencies(root)) {
    await writePackage(dependency, join(outDir, 'deps', depsFolderName(dependency.name)));
  }
}

/** A digest-friendly text of a package and its dependencies. */
export function witFingerprint(registry: WitRegistry, root: WitPackage): string {
  return [root, ...registry.transitiveDependencies(root)]
    .flatMap((pkg) => [...pkg.files].map(([file, text]) => `${pkg.name}/${file}\n${text}`))
    .join('\n');
}
