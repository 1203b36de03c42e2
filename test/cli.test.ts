import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ChildResult, runTypeScript } from './helpers/child.ts';
import { builtComponentPath, cacheDir, repoRoot } from './helpers/components.ts';

const cli = join(repoRoot, 'host-shim', 'src', 'cli.ts');

const inferlib = (...args: string[]): Promise<ChildResult> =>
  runTypeScript(cli, args, { cwd: join(repoRoot, 'host-shim') });

describe('inferlib run', () => {
  const hello = () => builtComponentPath('examples', 'hello', 'composed');

  it('prints the return value of an inferlet run with arguments', async () => {
    const result = await inferlib(
      'run',
      hello(),
      '--cache-dir',
      cacheDir,
      '--seed',
      '3',
      '--',
      'Ada',
      'Alan',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Hello, Ada and Alan! \(from inferlet [0-9a-f-]{36}\)\n$/);
  });

  it('ends with a clear message and exit code 1 when the inferlet returns err', async () => {
    const result = await inferlib('run', hello(), '--cache-dir', cacheDir, '--', '--fail');
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain('inferlet failed: asked to fail with --fail');
  });

  it('rejects bad options and a missing component without a stack trace', async () => {
    const badSeed = await inferlib('run', hello(), '--seed', 'x');
    expect(badSeed).toMatchObject({
      code: 1,
      stderr: 'inferlib: --seed x: expected a whole number (negative ones too)\n',
    });
    const missing = await inferlib('run', 'no-such.wasm');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^inferlib: ENOENT.*no-such\.wasm'\n$/);
    expect((await inferlib('launch')).code).toBe(2);
  });
});
