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
 * - **Host values** follow the guest types' conventions (componentize-js's, which the library is written to):
 *   a module standing in for each `inferlet:*` interface converts what componentize-qjs takes and gives
 *   (lists of a named number type as an `Array`, typed arrays, `undefined` for `none`, `bigint`), derived from
 *   the interface's WIT and guest types.
 * - **Promises**: `run` must settle before it returns (`prelude/run.ts`).
 * - **Size**: QuickJS keeps the initialised heap in every instance, so the bundle is minified and leaves out the
 *   library's modules the app does not use (`libraryWithoutSideEffects`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { hostTypesFile, libraryPackageDirs } from '../linking.ts';
import { readPackageJsonSync, toolchainDir, toolchainPackage } from '../project.ts';
import { unversioned, type WitPackage, type WitRegistry } from '../wit.ts';

/** The prelude's sources, which the bundle takes in: shipped as they are written (the package's `src/`). */
const preludeDir = join(toolchainDir, 'src', 'quickjs', 'prelude');

/** What componentize-qjs names the app's script in a stack (`at run (componentize-qjs:user.js:14:2003)`). */
export const quickJsScriptName = 'user.js';

export const componentizeQjsVersion: string = readPackageJsonSync(
  toolchainPackage('componentize-qjs'),
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

/** The prelude's modules a bundle needs: `console` always (apps print with it), the others where it names them. */
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
const pascalCase = (name: string): string =>
  camelCase(name).replace(/^[a-z]/, (letter) => letter.toUpperCase());

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

/** Splits at commas outside `<…>`, `(…)` and `[…]`. */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let part = '';
  for (const char of text) {
    if ('<([{'.includes(char)) depth++;
    if ('>)]}'.includes(char)) depth--;
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
 * The functions and resource methods of host interface `iface` (`kvCache`, `Tokenizer#tokenize`) taking a
 * list of a named number type (`list<pointer>`), with the positions of those parameters.
 */
function namedNumberListParameters(registry: WitRegistry, iface: string): Map<string, number[]> {
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
  let resource: string | undefined;
  let statement = '';
  for (const char of body) {
    if (char === '{') {
      resource = /\bresource\s+([a-z][a-z0-9-]*)\s*$/.exec(statement)?.[1];
      statement = '';
      continue;
    }
    if (char === '}') {
      resource = undefined;
      statement = '';
      continue;
    }
    if (char !== ';') {
      statement += char;
      continue;
    }
    const declaration = /([a-z][a-z0-9-]*)\s*:\s*(?:static\s+)?func\s*\(([^)]*)\)/.exec(statement);
    statement = '';
    if (declaration === null) continue;
    const positions = topLevelParts(declaration[2] ?? '').flatMap((param, position) => {
      const type = /^[a-z0-9-]+\s*:\s*list<\s*([a-z][a-z0-9-]*)\s*>$/.exec(param)?.[1];
      return type !== undefined && aliases.has(type) ? [position] : [];
    });
    const method = camelCase(declaration[1] ?? '');
    if (positions.length > 0)
      functions.set(resource === undefined ? method : `${pascalCase(resource)}#${method}`, positions);
  }
  return functions;
}

const typedArrays = new Set([
  'Uint8Array',
  'Uint16Array',
  'Uint32Array',
  'BigUint64Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'BigInt64Array',
  'Float32Array',
  'Float64Array',
]);

/**
 * A JS function turning what componentize-qjs gives for a value into what the guest types say (StarlingMonkey's
 * convention, which the library is written to): typed arrays for lists of numbers (QuickJS gives an `Array`),
 * `undefined` for an option's `none` (QuickJS: `null`), a `bigint` for a 64-bit integer (QuickJS: a number).
 * `undefined` where the value is passed as it is.
 */
function resultConversion(type: string): string | undefined {
  const optional = /^(.*)\s\|\s*undefined$/.exec(type);
  if (optional !== undefined && optional !== null) {
    const inner = resultConversion((optional[1] ?? '').trim());
    return `(v) => v === null || v === undefined ? undefined : ${inner === undefined ? 'v' : `(${inner})(v)`}`;
  }
  const array = /^Array<(.*)>$/.exec(type);
  if (array !== null) {
    const inner = resultConversion((array[1] ?? '').trim());
    return inner === undefined ? undefined : `(v) => v.map(${inner})`;
  }
  if (type.startsWith('[') && type.endsWith(']')) {
    const items = topLevelParts(type.slice(1, -1)).map(resultConversion);
    if (items.every((item) => item === undefined)) return undefined;
    return `(v) => [${items.map((item, index) => (item === undefined ? `v[${index}]` : `(${item})(v[${index}])`)).join(', ')}]`;
  }
  if (typedArrays.has(type)) return `(v) => v instanceof ${type} ? v : ${type}.from(v)`;
  if (type === 'bigint') return '(v) => BigInt(v)';
  return undefined;
}

/** A function or method of the guest types, with its parameters' and result's types. */
interface Signature {
  readonly name: string;
  readonly params: readonly string[];
  readonly result: string;
}

/** `name(params): result;` as the guest types declare it. */
function signature(line: string): Signature | undefined {
  const match = /^\s*(?:export function\s+)?([A-Za-z0-9_]+)\((.*)\):\s*(.*);\s*$/.exec(line);
  if (match === null) return undefined;
  const params = topLevelParts(match[2] ?? '').map((param) => param.replace(/^[A-Za-z0-9_]+\??:\s*/, ''));
  return { name: match[1] ?? '', params, result: (match[3] ?? '').trim() };
}

/** The guest types of host interface `iface`: its functions, and each class's methods. */
function guestSignatures(iface: string): { functions: Signature[]; methods: Map<string, Signature[]> } {
  const text = readFileSync(hostTypesFile(iface), 'utf8');
  const functions: Signature[] = [];
  const methods = new Map<string, Signature[]>();
  let inClass: string | undefined;
  for (const line of text.split('\n')) {
    const opened = /^\s*export class ([A-Za-z0-9_]+)/.exec(line)?.[1];
    if (opened !== undefined) {
      inClass = opened;
      methods.set(opened, []);
      continue;
    }
    if (/^ {2}\}/.test(line)) inClass = undefined;
    const found = /^\s*(?:export function|[a-z][A-Za-z0-9_]*\()/.test(line) ? signature(line) : undefined;
    if (found === undefined) continue;
    if (inClass === undefined) functions.push(found);
    else methods.get(inClass)?.push(found);
  }
  return { functions, methods };
}

/**
 * The statements that convert `args` as componentize-qjs takes them, make the call `invoke` (of `args`), and
 * return its result converted as the guest types give it; `undefined` when nothing needs converting.
 */
function convertedCall(invoke: string, call: Signature, arrays: readonly number[]): string | undefined {
  const argumentFixes = call.params.flatMap((type, position) => {
    if (arrays.includes(position)) return [`args[${position}] = Array.from(args[${position}]);`];
    // componentize-qjs takes a 64-bit integer as a number.
    if (type === 'bigint') return [`args[${position}] = Number(args[${position}]);`];
    return [];
  });
  const result = resultConversion(call.result);
  if (argumentFixes.length === 0 && result === undefined) return undefined;
  return [...argumentFixes, `return ${result === undefined ? invoke : `(${result})(${invoke})`};`].join(' ');
}

/**
 * A module standing in for host interface `iface`: its exports, each function and method converting what it
 * passes and gets between the library's conventions and componentize-qjs's; `undefined` when none needs to.
 */
function boundaryModule(registry: WitRegistry, iface: string): string | undefined {
  const arrays = namedNumberListParameters(registry, iface);
  const { functions, methods } = guestSignatures(iface);
  const from = JSON.stringify(iface);
  const wrapped: string[] = [];
  const passed: string[] = [...methods.keys()];
  for (const call of functions) {
    const body = convertedCall(`host_${call.name}(...args)`, call, arrays.get(call.name) ?? []);
    if (body === undefined) passed.push(call.name);
    else
      wrapped.push(
        `import { ${call.name} as host_${call.name} } from ${from};`,
        `export function ${call.name}(...args) { ${body} }`,
      );
  }
  for (const [className, calls] of methods) {
    for (const call of calls) {
      const body = convertedCall(
        'method.apply(this, args)',
        call,
        arrays.get(`${className}#${call.name}`) ?? [],
      );
      if (body === undefined) continue;
      wrapped.push(
        `{ const method = ${className}.prototype.${call.name}; ${className}.prototype.${call.name} = function (...args) { ${body} }; }`,
      );
    }
  }
  if (wrapped.length === 0) return undefined;
  return [
    `import { ${[...methods.keys()].join(', ')} } from ${from};`,
    `export { ${passed.join(', ')} } from ${from};`,
    ...wrapped,
  ].join('\n');
}

const boundaryNamespace = 'inferlib-quickjs-boundary';

/**
 * An esbuild plugin, before the library link: an import of a host interface (`inferlet:*`) resolves to a
 * module converting its values between componentize-qjs's conventions and the guest types' (derived from the
 * interface's WIT and guest types), unless it is among `skipped`; that module's own import is the host's.
 */
export function quickJsBoundary(registry: WitRegistry, skipped: ReadonlySet<string>): Plugin {
  const modules = new Map<string, string | undefined>();
  const moduleFor = (iface: string): string | undefined => {
    if (!modules.has(iface)) modules.set(iface, boundaryModule(registry, iface));
    return modules.get(iface);
  };
  return {
    name: 'inferlib-quickjs-boundary',
    setup(build) {
      build.onResolve({ filter: /^inferlet:/ }, ({ path, namespace }) => {
        const iface = unversioned(path);
        if (namespace === boundaryNamespace || skipped.has(iface) || moduleFor(iface) === undefined) {
          return undefined;
        }
        return { path: iface, namespace: boundaryNamespace };
      });
      // Only interfaces with a module resolve to this namespace.
      build.onLoad({ filter: /.*/, namespace: boundaryNamespace }, ({ path }) => ({
        contents: moduleFor(path) ?? '',
        loader: 'js',
        resolveDir: toolchainDir,
      }));
    },
  };
}

/**
 * An esbuild plugin: the library's packages (`libraryPackageDirs`) count as free of side effects, so that a module none
 * of whose exports the app uses is left out (esbuild's `sideEffects: false`), as `grammar` is from an app that
 * never constrains generation. Their only top-level statements besides declarations patch their own classes
 * (`refuseAfterDrop`), which matters only where the class is used. QuickJS keeps the whole initialised heap in
 * every instance's memory, so what is left out is memory per instance saved.
 */
export function libraryWithoutSideEffects(): Plugin {
  return {
    name: 'inferlib-library-without-side-effects',
    setup(build) {
      const libraryDirs = libraryPackageDirs().map((dir) => dir + sep);
      const inLibrary = (file: string) => libraryDirs.some((dir) => file.startsWith(dir));
      build.onResolve({ filter: /^\./ }, async ({ path, importer, resolveDir, kind, pluginData }) => {
        if (pluginData === libraryDirs || !inLibrary(importer)) return undefined;
        const resolved = await build.resolve(path, {
          importer,
          resolveDir,
          kind,
          pluginData: libraryDirs,
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return inLibrary(resolved.path) ? { ...resolved, sideEffects: false } : resolved;
      });
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

/** Replaces every occurrence of `from` in `bytes` with `to` (as long), in place; how many there were. */
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
}

/**
 * Componentizes with componentize-qjs: its synchronous runtime (Pie's engine failed to compile the async one),
 * built for speed (not `optSize`: a decode step ~1.5× quicker for ~0.5 MB; docs/decisions.md).
 */
export async function componentizeQuickJs(request: QuickJsRequest): Promise<Uint8Array> {
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
  return bytes;
}
