/**
 * Loading a component for Node: transpiled by jco (instantiation mode, so that every instance gets its
 * own imports), cached on disk by the component's content hash.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { transpile } from '@bytecodealliance/jco';
import type { ImportObject } from './host.ts';
import { capMemories, pagesOf } from './memory-limit.ts';
import { loadStackMapper, type StackMapper } from './source-map.ts';

type Instantiate = (
  getCoreModule: (name: string) => Promise<WebAssembly.Module>,
  imports: ImportObject,
) => Promise<Record<string, unknown>>;

export interface LoadedComponent {
  /** Where the transpiled files are. */
  readonly dir: string;
  /** The interfaces it imports and exports, as the component names them (`wasi:io/poll@0.2.4`). */
  readonly imports: readonly string[];
  readonly exports: readonly string[];
  /** Maps the frames of a stack the component prints to its sources, when its build left a source map. */
  readonly mapStack?: StackMapper;
  /** A new instance of the component with the given imports; its exports keyed by interface. */
  instantiate(imports: ImportObject, options?: InstantiateOptions): Promise<Record<string, unknown>>;
}

export interface InstantiateOptions {
  /** The most each linear memory of the instance may grow to, in bytes (whole pages of 64 KiB); 4 GiB if not given. */
  readonly memoryLimitBytes?: number;
}

export const defaultCacheDir = (): string =>
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'inferlib', 'transpiled');

const entryFile = 'component.js';
/** Beside the transpiled files: the component's imports and exports. */
const interfaceFile = 'interface.json';

interface ComponentInterface {
  readonly imports: readonly string[];
  readonly exports: readonly string[];
}

/**
 * Fixes applied to jco's output, each where the code it fixes is generated: a component without that code
 * (no exported resources, no cross-component calls) needs none. They were written against one jco release;
 * with another one installed, loading fails until they are reviewed, and where the code is there but looks
 * different, loading fails too, so a jco upgrade can never silently drop a fix. Their content is part of the
 * cache key. Each waits for an upstream fix (docs/decisions.md, "jco defects").
 */
const fixesWrittenFor = 'jco 1.26.1';

interface OutputFix {
  readonly name: string;
  /** Present when the output contains the code the fix is for. */
  readonly marker: string;
  readonly replacements?: readonly (readonly [from: string, to: string])[];
  /** A rewrite too varied for fixed replacements: it throws where the code is not as it expects. */
  readonly rewrite?: (js: string) => string;
}

const outputFixes: readonly OutputFix[] = [
  {
    // After a guest traps, jco's finalizers drop its leftover resources into the dead instance and throw an
    // uncaught exception that kills Node. A drop into a dead instance is ignored: its resources died with it.
    name: 'finalizers-contained',
    marker: 'new FinalizationRegistry(',
    replacements: [
      [
        'return new FinalizationRegistry(unregister);',
        'return new FinalizationRegistry((held) => { try { unregister(held); } catch { /* instance trapped */ } });',
      ],
    ],
  },
  {
    // Lending on a borrowed handle (a component calls a method of a resource it was only lent) made jco look
    // the representation up as if it were a handle: "Invalid handle". A borrow entry holds the rep itself.
    name: 'borrow-of-borrow',
    marker: 'function resourceTransferBorrow(',
    replacements: [
      [
        'const rep = isOwn ? fromHandle & ~T_FLAG : rscTableRemove(fromTable, fromHandle).rep;',
        'const rep = fromHandle & ~T_FLAG;',
      ],
    ],
  },
  {
    // A destructor runs outside any task, so a component calling another one from its destructor (a context
    // freeing its KV pages through the queue) failed with "missing current caller task metadata". Such a call
    // now runs without task bookkeeping, as calls did before jco tracked tasks.
    name: 'calls-from-destructors',
    marker: 'function _symmetricSyncGuestCallEnter(',
    replacements: [
      [
        "if (!callerTaskMeta) { throw new Error('missing current caller task metadata'); }",
        'if (!callerTaskMeta) { SYMMETRIC_SYNC_GUEST_CALL_STACK.push({ componentIdx: calleeComponentIdx, outsideTask: true }); return; }',
      ],
      [
        'const { componentIdx } = SYMMETRIC_SYNC_GUEST_CALL_STACK.pop();',
        'const { componentIdx, outsideTask } = SYMMETRIC_SYNC_GUEST_CALL_STACK.pop();\n      if (outsideTask) return;',
      ],
    ],
  },
  {
    // jco looks a host resource's handle up in its table unchecked and, finding no object for it (a handle
    // dropped already, or made up by the guest), made an empty object of the class and called the host with
    // it, where a method found none of its state. Every handle the host handed out has its object, so an
    // unknown one is refused as jco refuses a stale handle elsewhere.
    name: 'unknown-handles-refused',
    marker: '= Object.create(',
    rewrite: (js) => {
      let rewritten = 0;
      const refused = js.replace(
        /((?:var|let) (\w+) = captureTable\d+\.get\((rep\d*)\);\n(\s*)if \(!\2\) \{\n)\s*\2 = Object\.create\([\w$]+\.prototype\);\n\s*Object\.defineProperty\(\2, symbolRscHandle, \{ writable: true, value: handle\d* ?\}\);\n\s*Object\.defineProperty\(\2, symbolRscRep, \{ writable: true, value: \3 ?\}\);\n/g,
        (_whole, lookup: string, _rsc: string, _rep: string, indent: string) => {
          rewritten++;
          return `${lookup}${indent}  throw new Error('Invalid handle');\n`;
        },
      );
      const made = js.split('= Object.create(').length - 1;
      if (rewritten !== made) {
        throw new Error(
          `unknown-handles-refused: rewrote ${rewritten} of ${made} objects made for unknown handles`,
        );
      }
      return refused;
    },
  },
  {
    // jco reads `process.env.JCO_DEBUG` (a call into Node's C++) on every `_debugLog`, a dozen times per call
    // across the component boundary; it is read once, when the component is loaded.
    name: 'debug-flag-read-once',
    marker: 'const _debugLog = (...args) => {',
    replacements: [
      [
        'const _debugLog = (...args) => {\n    if (!globalThis?.process?.env?.JCO_DEBUG) { return; }',
        'const jcoDebug = !!globalThis?.process?.env?.JCO_DEBUG;\n  const _debugLog = (...args) => {\n    if (!jcoDebug) { return; }',
      ],
    ],
  },
  {
    // jco wraps every call of a host import in task bookkeeping: a subtask and a task created, entered,
    // resolved and exited, and the current-task record copied, which cost more than half of a single-engine
    // decode step (docs/decisions.md). A synchronous host import cannot block, and the host-shim never calls
    // back into the component from one, so nothing observes that task: the import's trampoline calls the host
    // directly. Waits for jco to make its per-call cost optional (bytecodealliance/jco#417).
    name: 'host-calls-without-tasks',
    marker: 'const hostProvided = true;',
    rewrite: (js) => {
      const fail = (what: string): never => {
        throw new Error(`host-calls-without-tasks: ${what}`);
      };
      let rewritten = 0;
      const trampolines = js.replace(
        /const (_trampoline\d+) = function\(([^)]*)\) \{\n([\s\S]*?)\n\s*\1\.fnName = ('[^']*');/g,
        (whole, name: string, params: string, body: string, fnName: string) => {
          if (!body.includes('const hostProvided = true;')) return whole;
          const direct = body
            .replace(/\n\s*const hostProvided = true;[\s\S]*?const started = task\.enterSync\(\);\n/, '\n')
            .replace(
              /_withGlobalCurrentTaskMeta\(\{\s*componentIdx: task\.componentIdx\(\),\s*taskID: task\.id\(\),\s*fn: \(\) => ([\s\S]*?),\n\s*\}\)/,
              '$1',
            )
            .replace(
              /\} catch \(err\) \{[\s\S]*?task\.exit\(\);\s*throw err;/,
              '} catch (err) {\n    throw err;',
            )
            .replaceAll(/task\.resolve\(\[[^\]]*\]\);\s*task\.exit\(\);/g, '');
          if (/\b(task|parentTask|subtask)\b/.test(direct)) fail(`${name} still refers to its task`);
          rewritten++;
          return `const ${name} = function(${params}) {\n${direct}\n${name}.fnName = ${fnName};\n${name}.withoutTask = true;`;
        },
      );
      const hostImports = js.split('const hostProvided = true;').length - 1;
      if (rewritten !== hostImports) fail(`rewrote ${rewritten} of ${hostImports} host-import trampolines`);
      const lowering =
        'function _lowerImportBackwardsCompat(args) {\n    const params = [...arguments].slice(1);';
      if (!trampolines.includes(lowering)) fail('the import lowering is not where it was');
      return trampolines.replace(
        lowering,
        'function _lowerImportBackwardsCompat(args, ...params) {\n    if (args.importFn.withoutTask) { return args.importFn(...params); }',
      );
    },
  },
];

/** The fixes' own text (a rewrite's source too) and what a cache entry holds, for the cache key: editing either transpiles again. */
const outputFixesDigest = createHash('sha256')
  .update(
    JSON.stringify(outputFixes, (_key, value: unknown) =>
      typeof value === 'function' ? String(value) : value,
    ),
  )
  .update(interfaceFile)
  .digest('hex');

function fixOutput(js: string, transpiler: string): string {
  if (transpiler !== fixesWrittenFor) {
    throw new Error(
      `loadComponent: the output fixes in host-shim/src/load.ts were written for ${fixesWrittenFor}, but ${transpiler} is installed; review each fix against its output`,
    );
  }
  let fixed = js;
  for (const fix of outputFixes) {
    if (!fixed.includes(fix.marker)) continue;
    if (fix.rewrite !== undefined) fixed = fix.rewrite(fixed);
    for (const [from, to] of fix.replacements ?? []) {
      if (!fixed.includes(from)) {
        throw new Error(
          `loadComponent: ${transpiler}'s output has the code fix ${fix.name} is for, but not what it replaces; review outputFixes in host-shim/src/load.ts`,
        );
      }
      fixed = fixed.replaceAll(from, to);
    }
  }
  return fixed;
}

/**
 * A module of one global initialized by `i32.const 1; i32.const 2; i32.add`: valid where WebAssembly's
 * extended constant expressions are, which QuickJS builds' core module uses (componentize-qjs's dynamic
 * linking). Node 20's V8 has them behind a flag.
 */
const extendedConstProbe = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a,
  0x0b,
]);

/**
 * Turns on extended constant expressions where V8 has them behind `--experimental-wasm-extended-const` (Node
 * 20), so that no user types the flag (Node refuses it in `NODE_OPTIONS`). V8 reads wasm feature flags when it
 * compiles a module, so setting it before the first compilation is enough.
 */
function enableExtendedConstantExpressions(): void {
  if (WebAssembly.validate(extendedConstProbe)) return;
  setFlagsFromString('--experimental-wasm-extended-const');
  if (!WebAssembly.validate(extendedConstProbe)) {
    throw new Error(
      `loadComponent: Node ${process.version} cannot compile WebAssembly's extended constant expressions, which QuickJS builds use; use Node 20.19 or later`,
    );
  }
}

const wasmMagic = [0x00, 0x61, 0x73, 0x6d];
/** The version field of a component (a core module has 1 0 0 0). */
const componentVersion = [0x0d, 0x00, 0x01, 0x00];

/** A one-line diagnosis of bytes that are no component, before jco's parse error. */
function checkComponentHeader(bytes: Uint8Array, name: string): void {
  const startsWith = (expected: readonly number[], offset: number): boolean =>
    expected.every((byte, index) => bytes[offset + index] === byte);
  if (!startsWith(wasmMagic, 0)) {
    throw new Error(`${name} is not WebAssembly (a component starts with \\0asm); build one with pnpm build`);
  }
  if (!startsWith(componentVersion, 4)) {
    throw new Error(
      `${name} is a core WebAssembly module, not a component; componentize it (pnpm build makes components)`,
    );
  }
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

/** How much the transpile cache keeps by default: a composition transpiles to ~85 MB, a single engine to ~13. */
export const defaultCacheLimitBytes = 2 * 1024 ** 3;

const isCacheEntry = (name: string): boolean => /^[0-9a-f]{32}$/.test(name);

async function sizeOf(path: string): Promise<number> {
  const entries = await readdir(path, { withFileTypes: true });
  let total = 0;
  for (const entry of entries) {
    const child = join(path, entry.name);
    total += entry.isDirectory() ? await sizeOf(child) : (await stat(child)).size;
  }
  return total;
}

/**
 * Evicts the least recently used transpilations until the cache holds at most `limit` bytes; `keep` (the
 * one just loaded) stays. Each load marks its entry used (its folder's modification time).
 */
async function pruneCache(cacheDir: string, keep: string, limit: number): Promise<void> {
  const entries = [];
  for (const name of (await readdir(cacheDir)).filter(isCacheEntry)) {
    const path = join(cacheDir, name);
    try {
      entries.push({ path, used: (await stat(path)).mtimeMs, size: await sizeOf(path) });
    } catch {
      // Evicted by another process meanwhile.
    }
  }
  let total = entries.reduce((sum, entry) => sum + entry.size, 0);
  for (const entry of entries.sort((a, b) => a.used - b.used)) {
    if (total <= limit) break;
    if (entry.path === keep) continue;
    await rm(entry.path, { recursive: true, force: true });
    total -= entry.size;
  }
}

/** Transpiles `wasm` (bytes or a path) unless its transpilation is cached, and imports it. */
export async function loadComponent(
  wasm: Uint8Array | string,
  options: {
    readonly cacheDir?: string;
    /** The most the cache keeps, least recently used evicted first ({@link defaultCacheLimitBytes}). */
    readonly cacheLimitBytes?: number;
    /** Called before a transpilation that is not cached (it takes seconds for a large component). */
    readonly onTranspile?: () => void;
  } = {},
): Promise<LoadedComponent> {
  const bytes = typeof wasm === 'string' ? await readFile(wasm) : wasm;
  checkComponentHeader(bytes, typeof wasm === 'string' ? wasm : 'the bytes');
  const transpiler = await transpilerVersion();
  const hash = createHash('sha256')
    .update(transpiler)
    .update(outputFixesDigest)
    .update(bytes)
    .digest('hex')
    .slice(0, 32);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const dir = join(cacheDir, hash);
  if (await exists(join(dir, entryFile))) {
    const now = new Date();
    await utimes(dir, now, now);
  } else {
    options.onTranspile?.();
    const transpileOptions = { name: 'component', instantiation: 'async', emitTypescriptDeclarations: false };
    const { files, imports, exports } = (await transpile(
      bytes,
      transpileOptions as Parameters<typeof transpile>[1],
    )) as { files: Record<string, Uint8Array>; imports: string[]; exports: [string, string][] };
    // Written beside and renamed, so that a concurrent or interrupted run never sees half a transpilation.
    const partial = `${dir}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    // jco writes ES modules with a `.js` name; the folder's package.json says so to Node.
    await mkdir(partial, { recursive: true });
    await writeFile(join(partial, 'package.json'), '{ "type": "module" }\n');
    const componentInterface: ComponentInterface = { imports, exports: exports.map(([name]) => name) };
    await writeFile(join(partial, interfaceFile), JSON.stringify(componentInterface));
    for (const [name, contents] of Object.entries(files)) {
      await mkdir(join(partial, name, '..'), { recursive: true });
      await writeFile(
        join(partial, name),
        name === entryFile ? fixOutput(new TextDecoder().decode(contents), transpiler) : contents,
      );
    }
    try {
      await rename(partial, dir);
    } catch (error) {
      // Another process finished the same transpilation first: use its files.
      await rm(partial, { recursive: true, force: true });
      if (!(await exists(join(dir, entryFile)))) throw error;
    }
    await pruneCache(cacheDir, dir, options.cacheLimitBytes ?? defaultCacheLimitBytes);
  }
  const { instantiate } = (await import(pathToFileURL(join(dir, entryFile)).href)) as {
    instantiate: Instantiate;
  };
  // Compiled once per memory limit: the limit is written into the modules.
  const modules = new Map<string, Promise<WebAssembly.Module>>();
  const coreModule = (name: string, maxPages: number | undefined): Promise<WebAssembly.Module> => {
    const key = `${maxPages}/${name}`;
    let module = modules.get(key);
    if (module === undefined) {
      enableExtendedConstantExpressions();
      module = readFile(join(dir, name)).then((code) =>
        WebAssembly.compile(maxPages === undefined ? code : capMemories(code, maxPages, name)),
      );
      modules.set(key, module);
    }
    return module;
  };
  const { imports, exports } = JSON.parse(
    await readFile(join(dir, interfaceFile), 'utf8'),
  ) as ComponentInterface;
  const mapStack = typeof wasm === 'string' ? loadStackMapper(wasm) : undefined;
  return {
    dir,
    imports,
    exports,
    ...(mapStack === undefined ? {} : { mapStack }),
    instantiate: (given, options = {}) => {
      const maxPages = options.memoryLimitBytes === undefined ? undefined : pagesOf(options.memoryLimitBytes);
      return instantiate((name) => coreModule(name, maxPages), given);
    },
  };
}
