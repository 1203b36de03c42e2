import { appendFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { componentJob, singleEngineJob } from '../../cli/src/build.ts';
import { changedSources, sourceHashes, writeBuildRecord } from '../../cli/src/build-record.ts';
import { scaffold } from '../../cli/src/new.ts';
import { loadTarget } from '../../cli/src/targets.ts';
import { cacheRoot, repoRoot, workspace } from '../lib/paths.ts';
import { loadTargets } from '../lib/workspace-targets.ts';

const scratch = await mkdtemp(join(tmpdir(), 'inferlib-build-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('pnpm build', () => {
  it('refuses an app importing an interface its world does not, in its component and its single-engine build alike', async () => {
    const dir = join(scratch, 'undeclared');
    await scaffold('undeclared', dir);
    await symlink(join(repoRoot, 'examples', 'starter', 'node_modules'), join(dir, 'node_modules'), 'dir');
    const entry = join(dir, 'src', 'component.ts');
    const source = await readFile(entry, 'utf8');
    await writeFile(
      entry,
      `import { check } from 'inferlib:context/structured';\n${source}\nexport const checkOf = check;\n`,
    );
    const app = await loadTarget(dir, 'app', workspace);
    if (app === undefined) throw new Error('the scaffold is no app');
    const modules = (await loadTargets()).filter((target) => target.kind === 'module');
    const message = `${relative(repoRoot, entry)} imports inferlib:context/structured, which world undeclared (${relative(repoRoot, join(dir, 'wit', 'world.wit'))}) does not import: add \`import inferlib:context/structured;\` to the world`;
    await expect(componentJob(app)).rejects.toThrow(message);
    for (const engine of ['quickjs', 'starlingmonkey'] as const) {
      await expect(singleEngineJob(app, modules, engine)).rejects.toThrow(message);
    }
  });
});

describe('build records', () => {
  it('name the sources changed since a component was built, and none after it is built again', async () => {
    const folder = join(cacheRoot, 'test', `build-record-${process.pid}`);
    await mkdir(folder, { recursive: true });
    const [one, two] = [join(folder, 'one.ts'), join(folder, 'two.ts')];
    await writeFile(one, 'export const one = 1;\n');
    await writeFile(two, 'export const two = 2;\n');
    const inputs = [one, two];
    const wasm = join(folder, 'app.wasm');
    try {
      expect(await changedSources(wasm)).toBeUndefined();
      await writeBuildRecord(wasm, { inputsHash: 'h', sources: await sourceHashes(wasm, inputs) });
      expect(await changedSources(wasm)).toEqual([]);
      await appendFile(two, '// a comment changes the source too\n');
      expect(await changedSources(wasm)).toEqual([inputs[1]]);
      await rm(one);
      expect(await changedSources(wasm)).toEqual(inputs);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
