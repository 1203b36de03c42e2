/**
 * A package's `prepack` (run by `pnpm pack` and `pnpm publish` in the package's folder): makes the files it ships
 * that are not committed. A library module builds its component (`dist/<name>.wasm` and the interfaces beside
 * it); a package Node runs (`publishConfig.exports`: support, host-shim, cli) compiles its `src/` to JavaScript
 * and declarations in `dist/`; the toolchain takes a copy of the starter (`template/`); each gets the license.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import ts from 'typescript';
import { artifactPaths } from '../cli/src/targets.ts';
import { repoRoot } from './lib/paths.ts';

interface Manifest {
  readonly name: string;
  readonly publishConfig?: { readonly exports?: unknown };
  readonly inferlib?: { readonly component?: unknown };
}

const packageDir = process.cwd();
const manifest = (await import(join(packageDir, 'package.json'), { with: { type: 'json' } }))
  .default as Manifest;

/** Every TypeScript source below `dir` but declarations, and but the folders of `skipped`. */
async function sources(dir: string, skipped: readonly string[]): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !skipped.some((folder) => file.startsWith(join(dir, folder))));
}

/**
 * `src/` as JavaScript and declarations in `dist/`, with the repository's compiler options: relative imports'
 * `.ts` become `.js`, imports of other packages stay as written (their published `dist/`).
 */
async function compile(skipped: readonly string[]): Promise<void> {
  const configPath = join(repoRoot, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot, undefined, configPath);
  // The generated `inferlib:*` and `inferlet:*` declarations, which sources import types from.
  const declarations = parsed.fileNames.filter((file) => file.endsWith(join('generated', 'index.d.ts')));
  // Each package's files land under its own path, those of the workspace packages it imports beside them.
  const outDir = join(repoRoot, 'node_modules', '.cache', 'inferlib', 'compiled', basename(packageDir));
  await rm(outDir, { recursive: true, force: true });
  const program = ts.createProgram([...(await sources(join(packageDir, 'src'), skipped)), ...declarations], {
    ...parsed.options,
    noEmit: false,
    declaration: true,
    rewriteRelativeImportExtensions: true,
    rootDir: repoRoot,
    outDir,
  });
  const { diagnostics } = program.emit();
  const errors = [...ts.getPreEmitDiagnostics(program), ...diagnostics];
  if (errors.length > 0) {
    throw new Error(
      ts.formatDiagnostics(errors, {
        getCanonicalFileName: (file) => file,
        getCurrentDirectory: () => repoRoot,
        getNewLine: () => '\n',
      }),
    );
  }
  const dist = join(packageDir, 'dist');
  await rm(dist, { recursive: true, force: true });
  await cp(join(outDir, relative(repoRoot, packageDir), 'src'), dist, { recursive: true });
  // tsc rewrites `./x.ts` to `./x.js` in the JavaScript only; the declarations must name the shipped files too.
  for (const file of (await readdir(dist, { recursive: true })).filter((name) => name.endsWith('.d.ts'))) {
    const path = join(dist, file);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(relativeTsSpecifier, '$1$2$3.js$2'));
  }
}

/** A relative module specifier ending in `.ts`, after `from` or `import(`. */
const relativeTsSpecifier = /(\bfrom\s*|\bimport\(\s*)(['"])(\.\.?\/[^'"]*)\.ts\2/g;

if (manifest.inferlib?.component !== undefined) {
  const name = basename(packageDir);
  execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'build.ts'), name], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  const { wasm, worldJson } = artifactPaths(packageDir);
  for (const file of [wasm, worldJson]) {
    if (!existsSync(file))
      throw new Error(`prepack: the build of ${name} left no ${relative(packageDir, file)}`);
  }
}
if (manifest.publishConfig?.exports !== undefined) {
  // The QuickJS prelude is bundled into components from its sources, not run by Node.
  await compile(manifest.name === '@inferlib/cli' ? [join('quickjs', 'prelude')] : []);
}
if (manifest.name === '@inferlib/cli') {
  const template = join(packageDir, 'template');
  await rm(template, { recursive: true, force: true });
  await cp(join(repoRoot, 'examples', 'starter'), template, {
    recursive: true,
    filter: (source) => !['dist', 'node_modules'].includes(basename(source)),
  });
}
await copyFile(join(repoRoot, 'LICENSE'), join(packageDir, 'LICENSE'));
