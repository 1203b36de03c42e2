/**
 * Composes every app (a target with `plugs`) with the library components it names, using `wac plug`:
 * `examples/<app>/dist/<app>.composed.wasm`. The result must import nothing but host interfaces.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './lib/paths.ts';
import { type BuildTarget, loadTargets } from './lib/targets.ts';

const run = promisify(execFile);

export const composedPath = (app: BuildTarget): string => join(app.dir, 'dist', `${app.name}.composed.wasm`);

async function mtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return Number.NaN;
  }
}

async function composeApp(
  app: BuildTarget,
  library: Map<string, BuildTarget>,
): Promise<'composed' | 'unchanged'> {
  const plugs = (app.manifest.plugs ?? []).map((name) => {
    const plug = library.get(name);
    if (plug === undefined) throw new Error(`${app.name}: no library component named ${name} to plug in`);
    return plug.wasm;
  });
  const output = composedPath(app);
  const inputsTimes = await Promise.all([app.wasm, ...plugs].map(mtime));
  if (inputsTimes.some(Number.isNaN)) throw new Error(`${app.name}: build the components first (pnpm build)`);
  if ((await mtime(output)) > Math.max(...inputsTimes)) return 'unchanged';
  await run('wac', ['plug', app.wasm, ...plugs.flatMap((plug) => ['--plug', plug]), '-o', output]);
  return 'composed';
}

async function main(): Promise<void> {
  const targets = await loadTargets();
  const library = new Map(
    targets.filter((target) => target.manifest.plugs === undefined).map((t) => [t.name, t]),
  );
  for (const app of targets.filter((target) => target.manifest.plugs !== undefined)) {
    const started = performance.now();
    process.stdout.write(`compose ${app.name.padEnd(12)} `);
    const outcome = await composeApp(app, library);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${outcome.padEnd(9)} ${seconds.padStart(5)} s  ${relative(repoRoot, composedPath(app))}`);
  }
}

await main();
