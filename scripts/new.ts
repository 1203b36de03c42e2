/**
 * `pnpm new <name>`: a new inferlet in `examples/<name>`, a copy of `examples/starter` (package.json,
 * world, `src/component.ts`, README, a test) under the new name, installed into the workspace and built as
 * one component, ready for `pnpm inferlib run`. The starter itself is built and tested with the rest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './lib/paths.ts';
import { artifactPaths } from './lib/targets.ts';

const template = 'starter';
const templateDir = join(repoRoot, 'examples', template);
/** What is built or installed, not written. */
const notCopied = new Set(['dist', 'node_modules']);

/** Copies the starter into `dir` as `name`: every file and file name with `starter` replaced. */
export async function scaffold(name: string, dir: string): Promise<string[]> {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
    throw new Error(
      `${JSON.stringify(name)}: a name is lower-case words joined by -, as WIT names are (my-inferlet)`,
    );
  }
  if (existsSync(dir)) throw new Error(`${relative(repoRoot, dir)} exists already`);
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
        written.push(relative(dir, target));
      }
    }
  };
  await copy(templateDir, dir);
  return written.sort();
}

async function main(): Promise<void> {
  const name = process.argv.slice(2).find((arg) => arg !== '--');
  if (name === undefined) {
    console.error('usage: pnpm new <name>   (lower-case words joined by -: my-inferlet)');
    process.exit(2);
  }
  const dir = join(repoRoot, 'examples', name);
  const written = await scaffold(name, dir);
  console.log(`new: wrote ${relative(repoRoot, dir)}/: ${written.join(', ')}`);
  const pnpm = (args: string[]) => execFileSync('pnpm', args, { cwd: repoRoot, stdio: 'inherit' });
  try {
    pnpm(['install', '--reporter=append-only']);
    pnpm(['build', `${name}.bundled`]);
  } catch {
    console.error(
      `new: the files are written; fix what failed above, then pnpm install and pnpm build ${name}.bundled`,
    );
    process.exit(1);
  }
  const wasm = relative(repoRoot, artifactPaths(dir).bundledWasm);
  console.log(`\nnew: ready. Run it:  pnpm inferlib run ${wasm} -- Hello there`);
  console.log(`     Test it: pnpm vitest run examples/${name}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main().catch((error: unknown) => {
    console.error(`new: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
