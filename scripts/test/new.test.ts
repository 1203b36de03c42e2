import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createProject, scaffold } from '../../cli/src/new.ts';
import { repoRoot } from '../lib/paths.ts';

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
    expect(test).toContain("('my-app (%s)'");
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

  it('makes a project of its own with inferlib new: the suite version instead of workspace links', async () => {
    const dir = join(scratch, 'standalone', 'my-project');
    expect(await createProject(dir)).toEqual([
      '.gitignore',
      'README.md',
      'package.json',
      'src/component.ts',
      'test/my-project.test.ts',
      'tsconfig.json',
      'vitest.config.ts',
      'wit/world.wit',
    ]);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    const { version } = JSON.parse(await readFile(join(repoRoot, 'cli', 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: 'my-project',
      private: true,
      scripts: { build: 'inferlib build', test: 'vitest run' },
      inferlib: { component: { world: 'my-project', wit: 'wit' } },
    });
    expect(manifest.devDependencies).toMatchObject({
      '@inferlib/cli': `^${version}`,
      '@inferlib/run-bindings': `^${version}`,
      vitest: expect.stringMatching(/^\^3\./),
    });
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
  });

  it('refuses a name WIT cannot use and a folder that exists', async () => {
    await expect(scaffold('MyApp', join(scratch, 'x'))).rejects.toThrow(/lower-case words joined by -/);
    await expect(scaffold('taken', scratch)).rejects.toThrow(/exists already/);
  });
});
