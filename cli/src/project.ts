/**
 * Where a build finds things: the project it builds for (the workspace's top folder, or an inferlet
 * project's), and the packages the toolchain itself depends on, found as Node finds packages (each
 * `node_modules` from a folder up), which holds in this workspace and in any project that installed it.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder a build works for: build records, messages and the cache are relative to it. */
export interface Project {
  readonly root: string;
  /** Staged WIT, bundles and transpilations; never committed. */
  readonly cacheDir: string;
}

export const projectAt = (root: string): Project => ({
  root,
  cacheDir: join(root, 'node_modules', '.cache', 'inferlib'),
});

/** The folder of the nearest `package.json` at or above `dir`. */
export function packageRootOf(dir: string): string {
  for (let folder = dir; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dirname(folder) === folder) throw new Error(`no package.json in ${dir} or any folder above it`);
  }
}

/** This package's folder (`cli/` here, `node_modules/@inferlib/cli` in a project). */
export const toolchainDir: string = packageRootOf(dirname(fileURLToPath(import.meta.url)));

/**
 * The extension of this package's own modules: `.ts` run from the sources (tsx, vitest), `.js` as published.
 * A module started by path (componentize-js's process) has the same.
 */
export const ownExtension: string = extname(fileURLToPath(import.meta.url));

/** The folder of package `name` as Node would resolve it from `from`, its links followed. */
export function packageDir(name: string, from: string): string {
  for (let folder = from; ; folder = dirname(folder)) {
    const candidate = join(folder, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(folder) === folder) throw new Error(`package ${name} is not installed for ${from}`);
  }
}

/** A package the toolchain depends on: its folder. */
export const toolchainPackage = (name: string): string => packageDir(name, toolchainDir);

export interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

export function readPackageJsonSync<T extends PackageJson = PackageJson>(dir: string): T {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as T;
}
