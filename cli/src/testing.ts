/**
 * An inferlet in a test (vitest), in any of its builds: its sources run in Node as if they were its component,
 * or a built component under jco, refused when a source changed since it was built. A project's tests import
 * this as `@inferlib/cli/testing`, with `@inferlib/cli/vitest`'s plugin in their vitest config.
 */
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type LoadedComponent, loadComponent } from '@inferlib/host-shim';
import { changedSources } from './build-record.ts';
import { bindHost } from './linking.ts';
import { projectAt } from './project.ts';
import { artifactPaths, type SingleEngine } from './targets.ts';

/**
 * How an app runs: its sources and the library's linked in Node with no component at all (`node`), its
 * single-engine build (`bundled`, in the app's engine; `quickjs` or `starlingmonkey` in that engine), or the wac
 * composition with the library components (`composed`).
 */
export type AppBuild = 'node' | 'bundled' | 'composed' | SingleEngine;

/** A fresh copy of `entry` and the library sources it imports, bound to `imports`. */
async function importBound(entry: string, imports: Readonly<Record<string, object>>): Promise<unknown> {
  // vitest only where sources run, in a test: scripts outside vitest load built components through this module.
  const { vi } = await import('vitest');
  vi.resetModules();
  bindHost(imports);
  return import(pathToFileURL(entry).href);
}

/**
 * A package's `src/component.ts` run in Node as if it were its component: each instantiation loads a fresh copy
 * of it and of the library bound to that instance's imports. An app's (`inferlet:core/run` exported) error from
 * `run` becomes the `err` jco would report.
 */
export function loadSources(packageDir: string, kind: 'module' | 'app'): LoadedComponent {
  const dir = join(packageDir, 'src');
  return {
    dir,
    // The library is linked in, so nothing but the host is imported; only apps are run as inferlets.
    imports: [],
    exports: kind === 'module' ? [] : ['inferlet:core/run'],
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

export interface BuiltOptions {
  /** The folder the message refusing a stale build names files relative to: the project's. */
  readonly root: string;
  /** The command that builds it again, for the message refusing a stale build. */
  readonly rebuild: string;
  /** Where jco's transpilations are cached. */
  readonly cacheDir: string;
}

/**
 * A built component, refused when a source it was built from changed since: a test of a stale build would fail
 * on a plain value diff, or pass on old code.
 */
export async function loadBuilt(
  wasm: string,
  { root, rebuild, cacheDir }: BuiltOptions,
): Promise<LoadedComponent> {
  const changed = await changedSources(wasm);
  if (changed === undefined || changed.length > 0) {
    const files = changed?.map((file) => relative(root, file));
    const why = files === undefined ? 'has no build record' : `is older than ${files.join(', ')}`;
    throw new Error(`${relative(root, wasm)} ${why}: run ${rebuild}`);
  }
  return loadComponent(wasm, { cacheDir });
}

/**
 * The inferlet of the project in `projectDir` (a path or a `file:` URL: `new URL('..', import.meta.url)` from its
 * `test/`) in the given build, as `inferlib build` makes it.
 */
export function loadInferlet(projectDir: string | URL, build: AppBuild): Promise<LoadedComponent> {
  const root = typeof projectDir === 'string' ? projectDir : fileURLToPath(projectDir);
  if (build === 'node') return Promise.resolve(loadSources(root, 'app'));
  const paths = artifactPaths(root);
  const wasm = { bundled: paths.bundledWasm, composed: paths.composedWasm, ...paths.engineWasm }[build];
  const rebuild = {
    bundled: 'inferlib build',
    composed: 'inferlib build --composed',
    quickjs: 'inferlib build --engine quickjs',
    starlingmonkey: 'inferlib build --engine starlingmonkey',
  }[build];
  return loadBuilt(wasm, { root, rebuild, cacheDir: join(projectAt(root).cacheDir, 'transpiled') });
}
