import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../lib/paths.ts';
import { scaffold } from '../new.ts';

const run = promisify(execFile);

const scratch = await mkdtemp(join(tmpdir(), 'inferlib-new-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('pnpm new', () => {
  it('copies the starter under the new name, every mention of it renamed', async () => {
    const dir = join(scratch, 'my-app');
    expect(await scaffold('my-app', dir)).toEqual([
      'README.md',
      'package.json',
      'src/component.ts',
      'test/my-app.test.ts',
      'wit/world.wit',
    ]);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: '@inferlib/example-my-app',
      inferlib: { component: { world: 'my-app' } },
    });
    const world = await readFile(join(dir, 'wit', 'world.wit'), 'utf8');
    expect(world).toContain('package inferlib-examples:my-app;');
    expect(world).toContain('world my-app {');
    const test = await readFile(join(dir, 'test', 'my-app.test.ts'), 'utf8');
    expect(test).toContain("loadApp('examples', 'my-app', build)");
    for (const file of [
      'README.md',
      'package.json',
      'src/component.ts',
      'test/my-app.test.ts',
      'wit/world.wit',
    ])
      expect(await readFile(join(dir, file), 'utf8'), file).not.toMatch(/\bstarter\b/);
  });

  it('leaves an app that passes pnpm lint, under any name', async () => {
    for (const name of ['a', 'zz-top', 'my-app2']) {
      const dir = join(scratch, 'lint', name);
      await scaffold(name, dir);
      // The repository's rules; outside its git tree, without its ignore file.
      const biome = join(repoRoot, 'node_modules', '.bin', 'biome');
      const config = `--config-path=${join(repoRoot, 'biome.json')}`;
      await expect(run(biome, ['check', '--vcs-enabled=false', config, dir]), name).resolves.toBeDefined();
    }
  });

  it('refuses a name WIT cannot use and a folder that exists', async () => {
    await expect(scaffold('MyApp', join(scratch, 'x'))).rejects.toThrow(/lower-case words joined by -/);
    await expect(scaffold('taken', scratch)).rejects.toThrow(/exists already/);
  });
});
