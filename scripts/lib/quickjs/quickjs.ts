/**
 * The single-engine build on QuickJS (componentize-qjs, its synchronous runtime) instead of StarlingMonkey
 * (componentize-js). The same bundle, with what QuickJS lacks or does differently handled on our side:
 *
 * - **WASI types of host interfaces.** componentize-qjs runs the bundle's top level at build time (Wizer) in
 *   wasmtime, with every non-WASI import stubbed first and WASI's real definitions put over them: the
 *   `pollable` that `inferlet:core/common` takes from `wasi:io/poll` stays a stub, a type unlike WASI's, and
 *   instantiation fails ("mismatched resource types", andreiltd/componentize-qjs, see docs/decisions.md).
 *   So the WIT and the bundle's imports name every `wasi:` package of ours `qjsw:` (as long as `wasi`):
 *   all stubbed alike, they agree; the component's names are then set back to `wasi:` in place, byte for byte.
 *   The runtime's own WASI imports (0.2.12) are apart from ours (0.2.4); hosts match both to their WASI 0.2.
 * - **Globals**: a prelude (`prelude/`) gives `console`, and `TextEncoder`/`TextDecoder`, `performance.now`,
 *   `crypto.getRandomValues` where the bundle uses them, over WASI.
 * - **Lists of a named number type** (`list<pointer>`): componentize-qjs lowers them from an `Array` only, so
 *   host functions taking one get a wrapper passing `Array.from` of the argument (derived from the WIT).
 * - **Promises**: `run` must settle before it returns (`prelude/run.ts`).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { hostExportNames } from '../linking.ts';
import { repoRoot } from '../paths.ts';
import { unversioned, type WitPackage, type WitRegistry } from '../wit.ts';

const here = dirname(fileURLToPath(import.meta.url));
const preludeDir = join(here, 'prelude');

export const componentizeQjsVersion: string = (
  JSON.parse(await readFile(join(repoRoot, 'node_modules', 'componentize-qjs', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** What a QuickJS build depends on besides its bundle: the tool and this file's handling (a change rebuilds). */
export const quickJsBuildDigest: string = createHash('sha256')
  .update(componentizeQjsVersion)
  .update(await readFile(fileURLToPath(import.meta.url)))
  .digest('hex');

/** Stands for `wasi` during componentize-qjs's build-time run; as long, so that names are put back in place. */
const standIn = 'qjsw';

/**
 * The WASI the prelude imports, as far as it uses it: WASI 0.2.4's interfaces, each with only the functions
 * called (a component may import part of an interface; hosts give the whole). `wasi:io@0.2.4` is in `wit/deps`.
 */
const preludeWasi: readonly WitPackage[] = [
  {
    name: 'wasi:cli@0.2.4',
    dependencies: ['wasi:io'],
    text: [
      'interface stdout {',
      '  use wasi:io/streams@0.2.4.{output-stream};',
      '  get-stdout: func() -> output-stream;',
      '}',
      'interface stderr {',
      '  use wasi:io/streams@0.2.4.{output-stream};',
      '  get-stderr: func() -> output-stream;',
      '}',
    ],
  },
  {
    name: 'wasi:clocks@0.2.4',
    dependencies: [],
    text: ['interface monotonic-clock {', '  type instant = u64;', '  now: func() -> instant;', '}'],
  },
  {
    name: 'wasi:random@0.2.4',
    dependencies: [],
    text: ['interface random {', '  get-random-bytes: func(len: u64) -> list<u8>;', '}'],
  },
].map(({ name, dependencies, text }) => ({
  name,
  dir: preludeDir,
  dependencies,
  files: new Map([['prelude.wit', [`package ${name};`, '', ...text, ''].join('\n')]]),
}));

/** The WIT packages a QuickJS build resolves against: the app's, then the prelude's WASI where the app has none. */
export function withPreludeWasi(packages: readonly WitPackage[]): WitPackage[] {
  const known = new Set(packages.map((pkg) => unversioned(pkg.name)));
  return [...packages, ...preludeWasi.filter((pkg) => !known.has(unversioned(pkg.name)))];
}

/** The prelude's modules a bundle needs: `console` always (a trap's message is printed), the others if used. */
function preludeModules(bundle: string): string[] {
  const uses = (name: string): boolean => new RegExp(`\\b${name}\\b`).test(bundle);
  return [
    'console.ts',
    ...(uses('TextEncoder') || uses('TextDecoder') ? ['text.ts'] : []),
    ...(uses('performance') ? ['performance.ts'] : []),
    ...(uses('crypto') ? ['crypto.ts'] : []),
  ].map((file) => join(preludeDir, file));
}

/**
 * The entry of a QuickJS build: the prelude `bundle` (the app's bundle on StarlingMonkey's terms) needs, then
 * the app, whose `run` export must settle before it returns.
 */
export function quickJsEntry(appEntry: string, bundle: string): { contents: string; resolveDir: string } {
  return {
    contents: [
      ...preludeModules(bundle).map((module) => `import ${JSON.stringify(module)};`),
      `import { settledRun } from ${JSON.stringify(join(preludeDir, 'run.ts'))};`,
      `import { run as app } from ${JSON.stringify(appEntry)};`,
      'export const run = settledRun(app);',
    ].join('\n'),
    resolveDir: dirname(appEntry),
  };
}

const numberTypes = new Set(['u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'f32', 'f64']);
const camelCase = (name: string): string =>
  name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

/** The `{ … }` body of `interface <name>` in `text`, or `undefined`. */
function interfaceBody(text: string, name: string): string | undefined {
  const start = new RegExp(`\\binterface\\s+${name}\\s*\\{`).exec(text);
  if (start === null) return undefined;
  let depth = 1;
  for (let index = start.index + start[0].length; index < text.length; index++) {
    if (text[index] === '{') depth++;
    else if (text[index] === '}' && --depth === 0) return text.slice(start.index + start[0].length, index);
  }
  throw new Error(`interface ${name}: no closing brace`);
}

/** Splits at commas outside `<…>` and `(…)`. */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let part = '';
  for (const char of text) {
    if (char === '<' || char === '(') depth++;
    if (char === '>' || char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(part.trim());
      part = '';
    } else {
      part += char;
    }
  }
  if (part.trim() !== '') parts.push(part.trim());
  return parts;
}

/**
 * For host interface `iface`, each function taking a list of a named number type (`list<pointer>`), with the
 * positions of those parameters. A resource method taking one is refused: its wrapper would have to replace
 * the class's method, which this build does not do.
 */
export function namedNumberListParameters(registry: WitRegistry, iface: string): Map<string, number[]> {
  const [pkgName = '', name = ''] = unversioned(iface).split('/');
  const texts = [...registry.get(pkgName).files.values()].map((text) => text.replace(/\/\/.*$/gm, ''));
  const aliases = new Set(
    texts.flatMap((text) =>
      [...text.matchAll(/\btype\s+([a-z][a-z0-9-]*)\s*=\s*([a-z0-9]+)\s*;/g)]
        .filter((match) => numberTypes.has(match[2] ?? ''))
        .map((match) => match[1] ?? ''),
    ),
  );
  const body = texts.map((text) => interfaceBody(text, name)).find((found) => found !== undefined);
  if (body === undefined) throw new Error(`${iface}: no interface ${name} in the WIT of ${pkgName}`);
  const functions = new Map<string, number[]>();
  let depth = 0;
  let statement = '';
  for (const char of body) {
    if (char === '{') depth++;
    if (char === '}') depth--;
    if (char !== ';') {
      statement += char;
      continue;
    }
    const declaration = /([a-z][a-z0-9-]*)\s*:\s*func\s*\(([^)]*)\)/.exec(statement);
    statement = '';
    if (declaration === null) continue;
    const positions = topLevelParts(declaration[2] ?? '').flatMap((param, position) => {
      const type = /^[a-z0-9-]+\s*:\s*list<\s*([a-z][a-z0-9-]*)\s*>$/.exec(param)?.[1];
      return type !== undefined && aliases.has(type) ? [position] : [];
    });
    if (positions.length === 0) continue;
    if (depth > 0) {
      throw new Error(
        `${iface}: resource method ${declaration[1]} takes a list of a named number type, which the QuickJS build does not convert`,
      );
    }
    functions.set(camelCase(declaration[1] ?? ''), positions);
  }
  return functions;
}

/** A module standing in for host interface `iface`: its exports, with `converted` functions' lists made Arrays. */
function boundaryModule(iface: string, converted: ReadonlyMap<string, readonly number[]>): string {
  const names = hostExportNames(iface);
  const passed = names.filter((name) => !converted.has(name));
  const from = JSON.stringify(iface);
  return [
    `export { ${passed.join(', ')} } from ${from};`,
    `import { ${[...converted.keys()].map((name) => `${name} as host_${name}`).join(', ')} } from ${from};`,
    ...[...converted].map(([name, positions]) =>
      [
        `export function ${name}(...args) {`,
        ...positions.map((position) => `  args[${position}] = Array.from(args[${position}]);`),
        `  return host_${name}(...args);`,
        '}',
      ].join('\n'),
    ),
  ].join('\n');
}

const boundaryNamespace = 'inferlib-quickjs-boundary';

/**
 * An esbuild plugin, before the library link: imports of a host interface with functions taking lists of a
 * named number type resolve to a module converting those arguments; its own import of the interface does not.
 */
export function quickJsBoundary(registry: WitRegistry, skipped: ReadonlySet<string>): Plugin {
  const converted = new Map<string, Map<string, number[]>>();
  const conversions = (iface: string): Map<string, number[]> => {
    let found = converted.get(iface);
    if (found === undefined) {
      found = namedNumberListParameters(registry, iface);
      converted.set(iface, found);
    }
    return found;
  };
  return {
    name: 'inferlib-quickjs-boundary',
    setup(build) {
      build.onResolve({ filter: /^inferlet:/ }, ({ path, namespace }) => {
        const iface = unversioned(path);
        if (namespace === boundaryNamespace || skipped.has(iface) || conversions(iface).size === 0) {
          return undefined;
        }
        return { path: iface, namespace: boundaryNamespace };
      });
      build.onLoad({ filter: /.*/, namespace: boundaryNamespace }, ({ path }) => ({
        contents: boundaryModule(path, conversions(path)),
        loader: 'js',
        resolveDir: repoRoot,
      }));
    },
  };
}

/** Every `.wit` file below `dir`. */
async function witFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.wit'))
    .map((entry) => join(entry.parentPath, entry.name));
}

const wasiName = /\bwasi:/g;

/** `from "wasi:…"` and `import "wasi:…"` in a bundle: the module specifiers, which name WASI interfaces. */
const wasiSpecifier = /(\b(?:from|import)\s*["'])wasi:/g;

/** Replaces `wasi:` with `to` in every occurrence of `from` (a byte string) in `bytes`, in place. */
function replaceInPlace(bytes: Uint8Array, from: Uint8Array, to: Uint8Array): number {
  let count = 0;
  for (let index = 0; index <= bytes.length - from.length; index++) {
    let matches = true;
    for (let offset = 0; offset < from.length && matches; offset++) {
      matches = bytes[index + offset] === from[offset];
    }
    if (!matches) continue;
    bytes.set(to, index);
    count++;
  }
  return count;
}

export interface QuickJsRequest {
  /** The bundle. */
  readonly source: string;
  /** The staged WIT (root package and `deps/`), rewritten in place. */
  readonly witPath: string;
  readonly worldName: string;
  readonly wasm: string;
}

/** Componentizes with componentize-qjs (its synchronous runtime: Pie's engine compiles no async one) into `wasm`. */
export async function componentizeQuickJs(request: QuickJsRequest): Promise<void> {
  for (const file of await witFiles(request.witPath)) {
    await writeFile(file, (await readFile(file, 'utf8')).replace(wasiName, `${standIn}:`));
  }
  const { componentize } = await import('componentize-qjs');
  const { component } = await componentize({
    witPath: request.witPath,
    jsSource: request.source.replace(wasiSpecifier, `$1${standIn}:`),
    world: request.worldName,
    sync: true,
  });
  const bytes = new Uint8Array(component);
  const encoder = new TextEncoder();
  replaceInPlace(bytes, encoder.encode(`${standIn}:`), encoder.encode('wasi:'));
  // A name held as UTF-16 (a string with characters past Latin-1) would keep the stand-in: refuse the build.
  const wide = (text: string) => Uint8Array.from([...encoder.encode(text)].flatMap((byte) => [byte, 0]));
  if (replaceInPlace(bytes.slice(), wide(`${standIn}:`), wide('wasi:')) > 0) {
    throw new Error(
      `componentize-qjs: the component holds "${standIn}:" as UTF-16, which cannot be put back to "wasi:" in place`,
    );
  }
  await writeFile(request.wasm, bytes);
}
