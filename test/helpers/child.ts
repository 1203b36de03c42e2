import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './components.ts';

/** Runs a TypeScript file of `test/scripts` in a fresh Node (with tsx), returning what it printed. */
export async function runScript(
  name: string,
  args: readonly string[] = [],
  nodeOptions: readonly string[] = [],
): Promise<{ stdout: string; stderr: string }> {
  const script = join(repoRoot, 'test', 'scripts', name);
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [...nodeOptions, '--import', 'tsx', script, ...args],
    {
      cwd: join(repoRoot, 'test'),
    },
  );
  return { stdout, stderr };
}
