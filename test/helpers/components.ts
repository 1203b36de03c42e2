import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type LoadedComponent, loadComponent } from '@inferlib/host-shim';
import { changedSources } from '../../scripts/lib/build-record.ts';
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

/** The command that builds `name` in `build` again. */
function rebuildCommand(name: string, build: 'alone' | Exclude<AppBuild, 'node'>): string {
  if (build === 'composed') return `pnpm build && pnpm compose ${name}`;
  return `pnpm build ${build === 'alone' ? name : `${name}.${build}`}`;
}

/**
 * A built component, refused when a source it was built from changed since: a test of a stale build would
 * fail on a plain value diff, or pass on old code.
 */
export async function loadBuilt(
  group: ComponentGroup,
  name: string,
  build: 'alone' | Exclude<AppBuild, 'node'> = 'alone',
): Promise<LoadedComponent> {
  const path = builtComponentPath(group, name, build);
  const changed = await changedSources(path);
  if (changed === undefined || changed.length > 0) {
    const why = changed === undefined ? 'has no build record' : `is older than ${changed.join(', ')}`;
    throw new Error(`${relative(repoRoot, path)} ${why}: run ${rebuildCommand(name, build)}`);
  }
  return loadComponent(path, { cacheDir });
}
