/**
 * New inferlets, copied from the starter (package.json, world, `src/component.ts`, README, a test) under a new
 * name: `inferlib new <dir>` makes a project of its own, which depends on the published packages; the
 * workspace's `pnpm new <name>` an app in `examples/`.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ownExtension, readPackageJsonSync, toolchainDir } from './project.ts';

const template = 'starter';

/**
 * The starter: this repository's `examples/starter` when the toolchain runs from its sources, the package's
 * copy of it (`template/`, made when it is packed) when it runs as published.
 */
export const starterDir: string =
  ownExtension === '.ts' ? join(toolchainDir, '..', 'examples', template) : join(toolchainDir, 'template');

/** The files a project has beyond the starter's, which a workspace app takes from the workspace. */
const projectFilesDir = join(toolchainDir, 'project');

/** What is built or installed, not written. */
const notCopied = new Set(['dist', 'node_modules']);

/** Refuses a name WIT cannot use, naming it. */
export function checkName(name: string): void {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
    throw new Error(
      `${JSON.stringify(name)}: a name is lower-case words joined by -, as WIT names are (my-inferlet)`,
    );
  }
}

/** Copies the starter into `dir` as `name`: every file and file name with `starter` replaced. */
export async function scaffold(name: string, dir: string): Promise<string[]> {
  checkName(name);
  if (existsSync(dir)) throw new Error(`${dir} exists already`);
  const written: string[] = [];
  const copy = async (from: string, to: string): Promise<void> => {
    await mkdir(to, { recursive: true });
    for (const entry of await readdir(from, { withFileTypes: true })) {
      if (notCopied.has(entry.name)) continue;
      const target = join(to, entry.name.replaceAll(template, name));
      if (entry.isDirectory()) await copy(join(from, entry.name), target);
      else {
        const text = await readFile(join(from, entry.name), 'utf8');
        await writeFile(target, text.replace(/\bstarter\b/g, name));
        written.push(target.slice(dir.length + 1));
      }
    }
  };
  await copy(starterDir, dir);
  return written.sort();
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly inferlib?: unknown;
}

/**
 * A project of its own in `dir`, named after the folder: the starter, its workspace links (`workspace:*`) made
 * dependencies on this suite's version, with the toolchain and vitest, the scripts that build, check, test and
 * run it, and a `tsconfig.json`, `vitest.config.ts` and `.gitignore`. The files written, relative to `dir`.
 */
export async function createProject(dir: string): Promise<string[]> {
  const name = basename(dir);
  const written = await scaffold(name, dir);
  const toolchain = readPackageJsonSync<Manifest>(toolchainDir);
  const suiteRange = `^${toolchain.version}`;
  const starter = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
  const linked = Object.entries(starter.devDependencies ?? {}).map(([dependency, range]) => [
    dependency,
    range.startsWith('workspace:') ? suiteRange : range,
  ]);
  const vitest = toolchain.peerDependencies?.vitest;
  if (vitest === undefined) throw new Error(`${toolchain.name}'s package.json names no vitest version`);
  const devDependencies = Object.fromEntries(
    [...linked, [toolchain.name, suiteRange], ['vitest', vitest]].sort(([a = ''], [b = '']) =>
      a.localeCompare(b),
    ),
  );
  const manifest = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    ...(starter.description === undefined ? {} : { description: starter.description }),
    scripts: {
      build: 'inferlib build',
      check: 'inferlib check',
      test: 'vitest run',
      start: `inferlib build && inferlib run dist/${name}.bundled.wasm --`,
    },
    devDependencies,
    inferlib: starter.inferlib,
  };
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const file of await readdir(projectFilesDir)) {
    // npm leaves a package's `.gitignore` out of it: it is shipped without its dot.
    const target = file === 'gitignore' ? '.gitignore' : file;
    await copyFile(join(projectFilesDir, file), join(dir, target));
    written.push(target);
  }
  return written.sort();
}
