import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type LoadedComponent, loadComponent } from '@inferlib/host-shim';
import { cacheRoot, repoRoot } from '../../scripts/lib/paths.ts';
import { artifactPaths, type SingleEngine } from '../../scripts/lib/targets.ts';

export { repoRoot };

/** Transpilations shared by every test run of this checkout. */
export const cacheDir = join(cacheRoot, 'transpiled');

/** Where built components live: library modules, example apps, test fixtures. */
export type ComponentGroup = 'packages' | 'examples' | 'test/fixtures';

/**
 * How an app runs: `composed` with the library components (wac), `bundled` as its single-engine build (in the
 * app's engine), `quickjs` or `starlingmonkey` as its single-engine build in that engine, or `node`: its
 * sources and the library's, linked in Node with no component at all.
 */
export type AppBuild = 'composed' | 'bundled' | SingleEngine | 'node';

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

export function loadBuilt(
  group: ComponentGroup,
  name: string,
  build: 'alone' | Exclude<AppBuild, 'node'> = 'alone',
): Promise<LoadedComponent> {
  return loadComponent(builtComponentPath(group, name, build), { cacheDir });
}
