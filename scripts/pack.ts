/**
 * `pnpm packages [dir]`: packs every publishable package (those not `private`) into a tarball in `dir`
 * (`node_modules/.cache/inferlib/packages` by default), each package's prepack building what it ships, and prints
 * each tarball's size. A project installs from these where no registry has them (test/standalone.test.ts).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { cacheRoot, repoRoot } from './lib/paths.ts';

const run = promisify(execFile);

/** The folders of the workspace's packages that are published (not `private`), by folder. */
export async function publishablePackages(): Promise<string[]> {
  const folders = [
    ...(await readdir(join(repoRoot, 'packages'))).map((name) => join(repoRoot, 'packages', name)),
    join(repoRoot, 'host-shim'),
    join(repoRoot, 'cli'),
  ];
  const publishable: string[] = [];
  for (const folder of folders) {
    const manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as {
      private?: boolean;
    };
    if (manifest.private !== true) publishable.push(folder);
  }
  return publishable.sort();
}

export interface Tarball {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
}

/**
 * Packs every publishable package into `destination` with `pnpm pack` (which runs its prepack and makes its
 * `workspace:` links versions), `env` the environment pnpm runs in; the tarballs by package name.
 */
export async function packAll(destination: string, env: NodeJS.ProcessEnv = process.env): Promise<Tarball[]> {
  const queue = await publishablePackages();
  const tarballs: Tarball[] = [];
  // Two at a time: a library module's prepack runs its build (nothing to do once `pnpm build` ran).
  const packNext = async () => {
    for (let folder = queue.shift(); folder !== undefined; folder = queue.shift()) {
      const { name } = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as { name: string };
      try {
        const { stdout } = await run('pnpm', ['pack', '--json', '--pack-destination', destination], {
          cwd: folder,
          env,
          maxBuffer: 16 << 20,
        });
        // The prepack's output comes first; pnpm's JSON is the last thing printed.
        const { filename } = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{') + 1)) as { filename: string };
        tarballs.push({ name, path: filename, bytes: (await stat(filename)).size });
      } catch (error) {
        const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
        throw new Error(`pnpm pack of ${name} failed:\n${stdout}\n${stderr}`);
      }
    }
  };
  await Promise.all([packNext(), packNext()]);
  return tarballs.sort((a, b) => a.name.localeCompare(b.name));
}

async function main(): Promise<void> {
  const destination = resolve(process.argv[2] ?? join(cacheRoot, 'packages'));
  const tarballs = await packAll(destination);
  for (const { name, path, bytes } of tarballs) {
    console.log(`${name.padEnd(30)} ${(bytes / 1024).toFixed(0).padStart(7)} kB  ${path}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main().catch((error: unknown) => {
    console.error(`packages: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
