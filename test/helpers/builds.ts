/**
 * Apps and modules in every build: their components under jco, or their sources linked in Node (vitest
 * only: each instantiation loads a fresh copy through the module registry).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LoadedComponent } from '@inferlib/host-shim';
import { vi } from 'vitest';
import { bindHost } from '../../scripts/lib/linking.ts';
import { type AppBuild, type ComponentGroup, loadBuilt, repoRoot } from './components.ts';

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
    // The library is linked in, so nothing but the host is imported; only apps are run as inferlets.
    imports: [],
    exports: group === 'packages' ? [] : ['inferlet:core/run'],
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
