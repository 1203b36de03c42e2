import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedComponent } from '@inferlib/host-shim';
import { artifactPaths } from '../../cli/src/targets.ts';
import { type AppBuild, loadBuilt as loadBuiltComponent } from '../../cli/src/testing.ts';
import { cacheRoot, repoRoot } from '../../scripts/lib/paths.ts';

export { repoRoot };

/** Transpilations shared by every test run of this checkout. */
export const cacheDir = join(cacheRoot, 'transpiled');

/** Where built components live: library modules, example apps, test fixtures. */
export type ComponentGroup = 'packages' | 'examples' | 'test/fixtures';

export type { AppBuild };

/** The path of a built component: a module or app alone, or an app's composed or single-engine build. */
export function builtComponentPath(
  group: ComponentGroup,
  name: string,
  build: 'alone' | Exclude<AppBuild, 'node'> = 'alone',
): string {
  const paths = artifactPaths(join(repoRoot, group, name));
  const path = {
    alone: paths.wasm,
    composed: paths.composedWasm,
    bundled: paths.bundledWasm,
    ...paths.engineWasm,
  }[build];
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`pnpm build && pnpm compose\` first`);
  return path;
}

/** The command that builds `name` in `build` again. */
function rebuildCommand(name: string, build: 'alone' | Exclude<AppBuild, 'node'>): string {
  if (build === 'composed') return `pnpm build && pnpm compose ${name}`;
  return `pnpm build ${build === 'alone' ? name : `${name}.${build}`}`;
}

/** A built component, refused when a source it was built from changed since. */
export function loadBuilt(
  group: ComponentGroup,
  name: string,
  build: 'alone' | Exclude<AppBuild, 'node'> = 'alone',
): Promise<LoadedComponent> {
  const path = builtComponentPath(group, name, build);
  return loadBuiltComponent(path, { root: repoRoot, rebuild: rebuildCommand(name, build), cacheDir });
}
