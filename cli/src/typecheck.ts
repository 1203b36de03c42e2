/**
 * Typechecks one package's sources before its build, as `tsc` would with the project's `tsconfig.json`: a type
 * error stops the build with tsc's own message instead of becoming a component that fails at run time.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import type Ts from 'typescript';
import type { Project } from './project.ts';

/**
 * TypeScript, loaded at the first typecheck: it takes ~1 s to load, which a build with nothing changed no
 * longer pays, and a QuickJS build pays while componentize-qjs works.
 */
let loaded: typeof Ts | undefined;
const typescript = (): typeof Ts => {
  loaded ??= createRequire(import.meta.url)('typescript') as typeof Ts;
  return loaded;
};

/** The options of the project's `tsconfig.json`, TypeScript's defaults where it has none. */
const projectOptions = new Map<string, Ts.CompilerOptions>();

function compilerOptions(project: Project): Ts.CompilerOptions {
  const known = projectOptions.get(project.root);
  if (known !== undefined) return known;
  const ts = typescript();
  const configPath = join(project.root, 'tsconfig.json');
  let options: Ts.CompilerOptions = {};
  if (existsSync(configPath)) {
    const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
    if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
    options = ts.parseJsonConfigFileContent(config, ts.sys, project.root, undefined, configPath).options;
  }
  projectOptions.set(project.root, options);
  return options;
}

/**
 * Throws tsc's diagnostics for `entry` and what it imports, if any; `bindingsDirs` are the bindings packages
 * whose generated declarations (`inferlib:*`, `inferlet:*` modules) it may import.
 */
export function typecheck(entry: string, project: Project, bindingsDirs: readonly string[]): void {
  const ts = typescript();
  const declarations = bindingsDirs.map((dir) => join(dir, 'generated', 'index.d.ts'));
  const program = ts.createProgram([entry, ...declarations], compilerOptions(project));
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length === 0) return;
  const text = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (file) => file,
    getCurrentDirectory: () => project.root,
    getNewLine: () => '\n',
  });
  throw new Error(`${relative(project.root, entry)} does not typecheck:\n${text.trimEnd()}`);
}
