/**
 * Typechecks one package's sources before its build, as `pnpm typecheck` would: a type error stops the
 * build with tsc's own message instead of becoming a component that fails at run time.
 */
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import type Ts from 'typescript';
import { repoRoot } from './paths.ts';

/**
 * TypeScript, loaded at the first typecheck: it takes ~1 s to load, which a build with nothing changed no
 * longer pays, and a QuickJS build pays while componentize-qjs works.
 */
let loaded: typeof Ts | undefined;
const typescript = (): typeof Ts => {
  loaded ??= createRequire(import.meta.url)('typescript') as typeof Ts;
  return loaded;
};

/** The repository's compiler options and the generated `inferlib:*` / `inferlet:*` declarations. */
function repositoryConfig(): { options: Ts.CompilerOptions; declarations: string[] } {
  const ts = typescript();
  const configPath = join(repoRoot, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot, undefined, configPath);
  const declarations = parsed.fileNames.filter((file) => file.endsWith(`${sep}generated${sep}index.d.ts`));
  return { options: parsed.options, declarations };
}

let repository: ReturnType<typeof repositoryConfig> | undefined;

/** Throws tsc's diagnostics for `entry` and what it imports, if any. */
export function typecheck(entry: string): void {
  const ts = typescript();
  repository ??= repositoryConfig();
  const program = ts.createProgram([entry, ...repository.declarations], repository.options);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length === 0) return;
  const text = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (file) => file,
    getCurrentDirectory: () => repoRoot,
    getNewLine: () => '\n',
  });
  throw new Error(`${relative(repoRoot, entry)} does not typecheck:\n${text.trimEnd()}`);
}
