/**
 * The bindings packages under `packages/`: each one's `package.json` says what it carries
 * (`inferlib.bindings`), the one place that is written.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export interface BindingsPackage {
  /** Folder under `packages/`. */
  readonly folder: string;
  /** The WIT packages a consumer gets (with their dependencies). */
  readonly witPackages: readonly string[];
  /** The interfaces whose guest types the package declares. */
  readonly interfaces: readonly string[];
}

function readBindingsPackages(): BindingsPackage[] {
  const packagesDir = join(repoRoot, 'packages');
  return readdirSync(packagesDir)
    .filter((folder) => folder.endsWith('-bindings'))
    .sort()
    .map((folder) => {
      const manifest = JSON.parse(readFileSync(join(packagesDir, folder, 'package.json'), 'utf8')) as {
        inferlib?: { bindings?: Omit<BindingsPackage, 'folder'> };
      };
      const bindings = manifest.inferlib?.bindings;
      if (bindings === undefined) throw new Error(`packages/${folder}/package.json has no inferlib.bindings`);
      return { folder, witPackages: bindings.witPackages, interfaces: bindings.interfaces };
    });
}

export const bindingsPackages: readonly BindingsPackage[] = readBindingsPackages();
