/**
 * The library's TypeScript linked in one engine, without components: each `inferlib:*` import aliased to
 * its package's sources, each host interface read from an instance's import object. The baseline the
 * composed inferlet's overhead is compared with (and a first cut of the single-engine build).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ImportObject } from '@inferlib/host-shim';
import { build, type Plugin } from 'esbuild';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundlePath = join(repoRoot, 'node_modules', '.cache', 'inferlib', 'bench', 'library.mjs');
const hostGlobal = '__inferlibHostImports';

/** `inferlib:brle/encoding` → `packages/brle/src/index.ts`; `inferlet:*` → the current import object. */
const linkInProcess: Plugin = {
  name: 'link-in-process',
  setup(context) {
    context.onResolve({ filter: /^inferlib:[a-z-]+\// }, ({ path }) => ({
      path: join(repoRoot, 'packages', path.slice('inferlib:'.length, path.indexOf('/')), 'src', 'index.ts'),
    }));
    context.onResolve({ filter: /^(inferlet|wasi):/ }, ({ path }) => ({ path, namespace: 'host' }));
    context.onLoad({ filter: /.*/, namespace: 'host' }, ({ path }) => ({
      contents: `module.exports = globalThis.${hostGlobal}[${JSON.stringify(path.replace(/@.*$/, ''))}];`,
      loader: 'js',
    }));
  },
};

let built = false;

export interface InProcessLibrary {
  readonly Model: typeof import('@inferlib/model').Model;
  readonly Context: typeof import('@inferlib/context').Context;
}

/** A fresh copy of the library bound to `imports` (module state is per copy, as per component instance). */
export async function loadInProcessLibrary(imports: ImportObject, copy: number): Promise<InProcessLibrary> {
  if (!built) {
    const result = await build({
      stdin: {
        contents:
          "export { Model } from 'inferlib:model/models';\nexport { Context } from 'inferlib:context/inference';\n",
        resolveDir: repoRoot,
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'es2022',
      plugins: [linkInProcess],
      logLevel: 'silent',
    });
    await mkdir(dirname(bundlePath), { recursive: true });
    await writeFile(bundlePath, result.outputFiles[0]?.text ?? '');
    built = true;
  }
  (globalThis as Record<string, unknown>)[hostGlobal] = imports;
  return (await import(`${pathToFileURL(bundlePath).href}?copy=${copy}`)) as InProcessLibrary;
}
