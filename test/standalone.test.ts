/**
 * The path a user takes, outside this repository: every publishable package packed into a tarball (each
 * building what it ships), a project made in a temporary folder by the packed `inferlib new`, installed from
 * those tarballs (third-party packages from the registry), then checked, built, run and tested with its own
 * scripts. The project sees no workspace: its dependencies name the tarballs, nothing names a path in here.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAll } from '../scripts/pack.ts';
import { repoRoot } from './helpers/components.ts';

const run = promisify(execFile);

/**
 * What the commands run with: the machine's, without what the `pnpm test` and vitest around this test set for
 * themselves (`npm_*`, `PNPM_*`, `VITEST*`), which the project's own pnpm and vitest would take as theirs.
 */
const cleanEnvironment = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_|VITEST|TEST$|NODE_OPTIONS$)/i.test(name)),
);

const scratch = await mkdtemp(join(tmpdir(), 'inferlib-standalone-'));
const tarballs = join(scratch, 'tarballs');
const project = join(scratch, 'my-inferlet');
/** Seconds each step took, printed at the end. */
const timings: [step: string, seconds: number][] = [];

/** Runs `command` in `cwd` with the clean environment; its output, or an error with everything it printed. */
async function step(name: string, cwd: string, command: string, args: readonly string[]) {
  const started = performance.now();
  try {
    const result = await run(command, [...args], { cwd, env: cleanEnvironment, maxBuffer: 64 << 20 });
    return result;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${name}: ${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`);
  } finally {
    timings.push([name, (performance.now() - started) / 1000]);
  }
}

const pnpm = (name: string, args: readonly string[]) => step(name, project, 'pnpm', args);

/** The package.json of each tarball, as packed. */
let manifests: string[] = [];

/** Whether `wac` is installed, which only the composed build needs. */
const hasWac = await run('wac', ['--version']).then(
  () => true,
  () => false,
);

beforeAll(async () => {
  const started = performance.now();
  const packed = await packAll(tarballs, cleanEnvironment);
  timings.push(['pack every publishable package', (performance.now() - started) / 1000]);
  console.log(
    packed.map(({ name, bytes }) => `${(bytes / 1024).toFixed(0).padStart(7)} kB  ${name}`).join('\n'),
  );
  manifests = await Promise.all(
    packed.map(async ({ path }) => (await run('tar', ['xzfO', path, 'package/package.json'])).stdout),
  );
  // The scaffold from the unpacked toolchain alone, as `npx @inferlib/cli new` runs it.
  const cli = packed.find(({ name }) => name === '@inferlib/cli');
  await step('unpack cli', tarballs, 'tar', ['xzf', cli?.path ?? '']);
  await step('inferlib new', scratch, process.execPath, [
    join(tarballs, 'package', 'dist', 'main.js'),
    'new',
    project,
  ]);
  // Each @inferlib package, wherever it is depended on, from its tarball: the registry has none of them.
  const manifestPath = join(project, 'package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
  const overrides = Object.fromEntries(packed.map(({ name, path }) => [name, `file:${path}`]));
  await writeFile(manifestPath, JSON.stringify({ ...manifest, pnpm: { overrides } }, null, 2));
  await pnpm('install', ['install', '--prefer-offline', '--reporter=append-only']);
  timings.push(['setup, in all', (performance.now() - started) / 1000]);
}, 900_000);

afterAll(async () => {
  console.log(timings.map(([name, seconds]) => `${seconds.toFixed(1).padStart(6)} s  ${name}`).join('\n'));
  await rm(scratch, { recursive: true, force: true });
});

describe('a project outside the repository, from the packed packages', () => {
  it('is installed from packages whose dependencies are versions, not workspace links', () => {
    for (const manifest of manifests) expect(manifest).not.toContain('workspace:');
    expect(manifests.map((manifest) => JSON.parse(manifest).license)).toEqual(
      manifests.map(() => 'Apache-2.0'),
    );
  });

  it('depends on the tarballs and nothing of the workspace', async () => {
    const manifest = await readFile(join(project, 'package.json'), 'utf8');
    expect(manifest).not.toContain('workspace:');
    expect(manifest).not.toContain(repoRoot);
    expect(project.startsWith(repoRoot)).toBe(false);
  });

  it('tells its version and the host ABI', async () => {
    const { stdout } = await pnpm('inferlib --version', ['exec', 'inferlib', '--version']);
    const { version } = JSON.parse(await readFile(join(repoRoot, 'cli', 'package.json'), 'utf8'));
    expect(stdout.trim()).toBe(`inferlib ${version} (host ABI: Pie f60cdb4e9)`);
  });

  it('checks its world and types', async () => {
    const { stdout } = await pnpm('inferlib check', ['run', 'check']);
    expect(stdout).toContain('check: my-inferlet imports what its world does, and typechecks');
  });

  it('builds its single-engine component and runs it on the host-shim', async () => {
    await pnpm('inferlib build', ['run', 'build']);
    expect(existsSync(join(project, 'dist', 'my-inferlet.bundled.wasm'))).toBe(true);
    const { stdout } = await pnpm('inferlib run', [
      'exec',
      'inferlib',
      'run',
      'dist/my-inferlet.bundled.wasm',
      '--',
      'Hello',
      'there.',
    ]);
    // The host-shim's built-in model echoes the user's message.
    expect(stdout).toBe('Hello there.\n');
  });

  it('passes its own test: its sources in Node and its component', async () => {
    const { stdout } = await pnpm('project test', ['test']);
    // pnpm asks its scripts for colours whatever the environment says.
    expect(stripVTControlCharacters(stdout)).toMatch(/Tests\s+4 passed \(4\)/);
  });

  it.skipIf(!hasWac)('composes its component with the library components by wac, and runs that', async () => {
    await pnpm('inferlib build --composed', ['exec', 'inferlib', 'build', '--composed']);
    const { stdout } = await pnpm('inferlib run (composed)', [
      'exec',
      'inferlib',
      'run',
      'dist/my-inferlet.composed.wasm',
      '--',
      'Composed.',
    ]);
    expect(stdout).toBe('Composed.\n');
  });
});
