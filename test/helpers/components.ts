import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type LoadedComponent, loadComponent } from '@inferlib/host-shim';
import { vi } from 'vitest';
import { bindHost } from '../../scripts/lib/linking.ts';
import { cacheRoot, repoRoot } from '../../scripts/lib/paths.ts';
import { artifactPaths } from '../../scripts/lib/targets.ts';

export { repoRoot };

/** Transpilations shared by every test run of this checkout. */
export const cacheDir = join(cacheRoot, 'transpiled');

/** Where built components live: library modules, example apps, test fixtures. */
export type ComponentGroup = 'packages' | 'examples' | 'test/fixtures';

/**
 * How an app runs: `composed` with the library components (wac), `bundled` as its single-engine build, or
 * `node`: its sources and the library's, linked in Node with no component at all.
 */
export type AppBuild = 'composed' | 'bundled' | 'node';

/** The path of a built component: a module or app alone, or an app's composed or single-engine build. */
export function builtComponentPath(
  group: ComponentGroup,
  name: string,
  build: 'alone' | Exclude<AppBuild, 'node'> = 'alone',
): string {
  const paths = artifactPaths(join(repoRoot, group, name));
  const path = { alone: paths.wasm, composed: paths.composedWasm, bundled: paths.bundledWasm }[build];
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

/** A fresh copy of `entry` and the library sources it imports, bound to `imports`. */
async function importBound(entry: string, imports: Readonly<Record<string, object>>): Promise<unknown> {
  vi.resetModules();
  bindHost(imports);
  return import(pathToFileURL(entry).href);
}

/**
 * A module's or app's `src/component.ts` run in Node as if it were its component: each instantiation loads
 * a fresh copy of it and of the library bound to that instance's imports. An error an app's `run` throws
 * becomes the `err` jco would report.
 */
function inProcess(group: ComponentGroup, name: string): LoadedComponent {
  const dir = join(repoRoot, group, name, 'src');
  return {
    dir,
    async instantiate(imports) {
      const exports = (await importBound(join(dir, 'component.ts'), imports)) as Record<string, unknown>;
      const app = exports.run as { run(): Promise<void> } | undefined;
      if (app === undefined) return exports;
      return {
        'inferlet:core/run': {
          run: async () => {
            try {
              await app.run();
            } catch (thrown) {
              if (typeof thrown !== 'string') throw thrown;
              throw Object.assign(new Error(thrown), { payload: thrown });
            }
          },
        },
      };
    },
  };
}

/** An app in the given build. */
export function loadApp(group: ComponentGroup, name: string, build: AppBuild): Promise<LoadedComponent> {
  return build === 'node' ? Promise.resolve(inProcess(group, name)) : loadBuilt(group, name, build);
}

/** A library module as its component (`component`) or its sources in Node (`node`). */
export function loadModule(name: string, build: 'component' | 'node'): Promise<LoadedComponent> {
  return build === 'node' ? Promise.resolve(inProcess('packages', name)) : loadBuilt('packages', name);
}
