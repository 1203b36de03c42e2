/**
 * Loading a component for Node: transpiled by jco (instantiation mode, so that every instance gets its
 * own imports), cached on disk by the component's content hash.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpile } from '@bytecodealliance/jco';
import type { ImportObject } from './host.ts';

type Instantiate = (
  getCoreModule: (name: string) => Promise<WebAssembly.Module>,
  imports: ImportObject,
) => Promise<Record<string, unknown>>;

export interface LoadedComponent {
  /** Where the transpiled files are. */
  readonly dir: string;
  /** A new instance of the component with the given imports; its exports keyed by interface. */
  instantiate(imports: ImportObject): Promise<Record<string, unknown>>;
}

export const defaultCacheDir = (): string =>
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'inferlib', 'transpiled');

const entryFile = 'component.js';

/**
 * jco drops the guest resources that JS let go of from a `FinalizationRegistry`. After a guest traps, that
 * drop calls into the dead instance and throws from the finalizer — an uncaught exception that kills Node.
 * The loader wraps jco's finalizer so that a drop into a dead instance is ignored: its resources died with
 * it. Part of the cache key, so a change here re-transpiles.
 */
const finalizerPatch = {
  version: 'finalizers-contained-1',
  from: 'return new FinalizationRegistry(unregister);',
  to: 'return new FinalizationRegistry((held) => { try { unregister(held); } catch { /* instance trapped */ } });',
};

function containFinalizers(js: string): string {
  if (!js.includes('FinalizationRegistry')) return js;
  if (!js.includes(finalizerPatch.from)) {
    throw new Error(
      'loadComponent: this jco output creates finalizers in an unknown way; update finalizerPatch in load.ts',
    );
  }
  return js.replaceAll(finalizerPatch.from, finalizerPatch.to);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The installed jco's version: a transpilation is only reused with the jco that made it. */
async function transpilerVersion(): Promise<string> {
  let dir = dirname(createRequire(import.meta.url).resolve('@bytecodealliance/jco'));
  for (;;) {
    try {
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === '@bytecodealliance/jco') return `jco ${manifest.version}`;
    } catch {
      // No package.json at this level: keep climbing.
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the version of @bytecodealliance/jco');
    dir = parent;
  }
}

/** Transpiles `wasm` (bytes or a path) unless its transpilation is cached, and imports it. */
export async function loadComponent(
  wasm: Uint8Array | string,
  options: { readonly cacheDir?: string } = {},
): Promise<LoadedComponent> {
  const bytes = typeof wasm === 'string' ? await readFile(wasm) : wasm;
  const hash = createHash('sha256')
    .update(await transpilerVersion())
    .update(finalizerPatch.version)
    .update(bytes)
    .digest('hex')
    .slice(0, 32);
  const dir = join(options.cacheDir ?? defaultCacheDir(), hash);
  if (!(await exists(join(dir, entryFile)))) {
    const options = { name: 'component', instantiation: 'async', emitTypescriptDeclarations: false };
    const { files } = (await transpile(bytes, options as Parameters<typeof transpile>[1])) as {
      files: Record<string, Uint8Array>;
    };
    // Written beside and renamed, so that a concurrent or interrupted run never sees half a transpilation.
    const partial = `${dir}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    // jco writes ES modules with a `.js` name; the folder's package.json says so to Node.
    await mkdir(partial, { recursive: true });
    await writeFile(join(partial, 'package.json'), '{ "type": "module" }\n');
    for (const [name, contents] of Object.entries(files)) {
      await mkdir(join(partial, name, '..'), { recursive: true });
      await writeFile(
        join(partial, name),
        name === entryFile ? containFinalizers(new TextDecoder().decode(contents)) : contents,
      );
    }
    try {
      await rename(partial, dir);
    } catch (error) {
      // Another process finished the same transpilation first: use its files.
      await rm(partial, { recursive: true, force: true });
      if (!(await exists(join(dir, entryFile)))) throw error;
    }
  }
  const { instantiate } = (await import(pathToFileURL(join(dir, entryFile)).href)) as {
    instantiate: Instantiate;
  };
  const modules = new Map<string, Promise<WebAssembly.Module>>();
  const getCoreModule = (name: string): Promise<WebAssembly.Module> => {
    let module = modules.get(name);
    if (module === undefined) {
      module = readFile(join(dir, name)).then((code) => WebAssembly.compile(code));
      modules.set(name, module);
    }
    return module;
  };
  return { dir, instantiate: (imports) => instantiate(getCoreModule, imports) };
}
