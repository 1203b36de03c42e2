/**
 * Composes every app (a target with `plugs`) with the library components it names, using `wac plug`:
 * `<app folder>/dist/<app>.composed.wasm`. The result must import nothing but host interfaces.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './lib/paths.ts';
import { type BuildTarget, loadTargets } from './lib/targets.ts';

const run = promisify(execFile);

const composedPath = (app: BuildTarget): string => join(app.dir, 'dist', `${app.name}.composed.wasm`);

/** Composing takes a fraction of a second, so it always runs: no staleness to get wrong. */
async function composeApp(app: BuildTarget, library: Map<string, BuildTarget>): Promise<void> {
  const plugs = (app.manifest.plugs ?? []).map((name) => {
    const plug = library.get(name);
    if (plug === undefined) throw new Error(`${app.name}: no library component named ${name} to plug in`);
    return plug.wasm;
  });
  for (const input of [app.wasm, ...plugs]) {
    if (!existsSync(input))
      throw new Error(`${relative(repoRoot, input)} is missing: run \`pnpm build\` first`);
  }
  await run('wac', ['plug', app.wasm, ...plugs.flatMap((plug) => ['--plug', plug]), '-o', composedPath(app)]);
}

async function main(): Promise<void> {
  const targets = await loadTargets();
  const library = new Map(
    targets.filter((target) => target.manifest.plugs === undefined).map((t) => [t.name, t]),
  );
  for (const app of targets.filter((target) => target.manifest.plugs !== undefined)) {
    const started = performance.now();
    process.stdout.write(`compose ${app.name.padEnd(12)} `);
    await composeApp(app, library);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${seconds.padStart(5)} s  ${relative(repoRoot, composedPath(app))}`);
  }
}

await main();
