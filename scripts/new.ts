/**
 * `pnpm new <name>`: a new inferlet in `examples/<name>`, the toolchain's scaffold (cli/src/new.ts) of the
 * starter, installed into the workspace and built as one component, ready for `pnpm inferlib run`. The starter
 * itself is built and tested with the rest. Outside this repository, `inferlib new <dir>` makes a project.
 */
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { scaffold } from '../cli/src/new.ts';
import { artifactPaths } from '../cli/src/targets.ts';
import { repoRoot } from './lib/paths.ts';

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

await main().catch((error: unknown) => {
  console.error(`new: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
