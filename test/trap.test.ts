import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/components.ts';

describe('a trapped component', () => {
  it('does not take Node down when jco later drops the resources it left behind', async () => {
    const script = join(repoRoot, 'test', 'scripts', 'trap-then-collect.ts');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', script],
      {
        cwd: join(repoRoot, 'test'),
      },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({ trapped: true, held: 0 });
  });
});
