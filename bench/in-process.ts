/**
 * The library's TypeScript in Node, without components, linked as the single-engine build links it
 * (cli/src/linking.ts) with host imports bound to an instance: the in-process baseline of the bench.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ImportObject } from '@inferlib/host-shim';
import { build } from 'esbuild';
import { bindHost, linkLibrary } from '../cli/src/linking.ts';
import { cacheRoot, repoRoot } from '../scripts/lib/paths.ts';

const bundlePath = join(cacheRoot, 'bench', 'library.mjs');

let built = false;

export interface InProcessLibrary {
  readonly Model: typeof import('@inferlib/model').Model;
  readonly Context: typeof import('@inferlib/context').Context;
  readonly complete: typeof import('@inferlib/context').complete;
  readonly completeStructured: typeof import('@inferlib/context').completeStructured;
}

/** A fresh copy of the library bound to `imports` (module state is per copy, as per component instance). */
export async function loadInProcessLibrary(imports: ImportObject, copy: number): Promise<InProcessLibrary> {
  if (!built) {
    const result = await build({
      stdin: {
        contents:
          "export { Model } from 'inferlib:model/models';\nexport { Context } from 'inferlib:context/inference';\n" +
          "export { complete } from 'inferlib:context/generation';\nexport { completeStructured } from 'inferlib:context/structured';\n",
        resolveDir: repoRoot,
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'es2022',
      plugins: [linkLibrary({ host: 'bound' })],
      logLevel: 'silent',
    });
    await mkdir(dirname(bundlePath), { recursive: true });
    await writeFile(bundlePath, result.outputFiles[0]?.text ?? '');
    built = true;
  }
  bindHost(imports);
  return (await import(`${pathToFileURL(bundlePath).href}?copy=${copy}`)) as InProcessLibrary;
}
