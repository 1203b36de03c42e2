import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './components.ts';

export interface ChildResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a TypeScript file in a fresh Node (with tsx); its exit code and what it printed, whatever the code. */
export async function runTypeScript(
  path: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly nodeOptions?: readonly string[] },
): Promise<ChildResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [...(options.nodeOptions ?? []), '--import', 'tsx', path, ...args],
      { cwd: options.cwd },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as ChildResult;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Runs a file of `test/scripts`, which must exit 0; what it printed. */
export async function runScript(
  name: string,
  args: readonly string[] = [],
  nodeOptions: readonly string[] = [],
): Promise<{ stdout: string; stderr: string }> {
  const result = await runTypeScript(join(repoRoot, 'test', 'scripts', name), args, {
    cwd: join(repoRoot, 'test'),
    nodeOptions,
  });
  if (result.code !== 0) throw new Error(`${name} exited with ${result.code}:\n${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}
