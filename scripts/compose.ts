/**
 * `pnpm compose [app…]`: composes every app (`examples/*`, `test/fixtures/*`), or those named, with the library
 * components it needs, with the toolchain's composition (cli/src/compose.ts).
 */
import { relative } from 'node:path';
import { composeApp } from '../cli/src/compose.ts';
import { providersFor } from '../cli/src/targets.ts';
import { repoRoot } from './lib/paths.ts';
import { loadTargets } from './lib/workspace-targets.ts';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const targets = await loadTargets();
  const modules = targets.filter((target) => target.kind === 'module');
  const apps = targets.filter((target) => target.kind === 'app');
  const unknown = wanted.filter((name) => !apps.some((app) => app.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `no app named ${unknown.join(', ')} (there are: ${apps.map((app) => app.name).join(', ')})`,
    );
  }
  for (const app of apps.filter((target) => wanted.length === 0 || wanted.includes(target.name))) {
    const started = performance.now();
    process.stdout.write(`compose ${app.name.padEnd(16)} `);
    await composeApp(app, providersFor(app, modules), 'pnpm build');
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${seconds.padStart(5)} s  ${relative(repoRoot, app.composedWasm)}`);
  }
}

await main().catch((error: unknown) => {
  console.error(`\ncompose: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
