/**
 * Builds every component (or those named on the command line): bundles `src/component.ts` with esbuild,
 * keeping `inferlib:*`, `inferlet:*` and `wasi:*` imports external, and componentizes the bundle against
 * the target's world. A target whose inputs (bundle, WIT, world, features, tool version) hash the same as
 * at its last build is skipped, unless `--force` is given.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { componentize } from '@bytecodealliance/componentize-js';
import { build as bundle } from 'esbuild';
import { allowWitFileAccess, componentizeFeatures } from './lib/componentize.ts';
import { cacheRoot, repoRoot } from './lib/paths.ts';
import { type BuildTarget, loadTargets } from './lib/targets.ts';
import { stageWit, witFingerprint } from './lib/wit.ts';

const componentizeVersion: string = (
  JSON.parse(
    await readFile(
      join(repoRoot, 'node_modules', '@bytecodealliance', 'componentize-js', 'package.json'),
      'utf8',
    ),
  ) as { version: string }
).version;

async function bundleTarget(target: BuildTarget): Promise<string> {
  const result = await bundle({
    entryPoints: [target.entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    external: ['inferlib:*', 'inferlet:*', 'wasi:*'],
    legalComments: 'none',
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced no output for ${target.entry}`);
  return output.text;
}

const hashFile = (target: BuildTarget): string => `${target.wasm}.inputs-hash`;

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

async function buildTarget(target: BuildTarget, force: boolean): Promise<'built' | 'unchanged'> {
  const source = await bundleTarget(target);
  const kept = new Set(['stdio', ...(target.manifest.features ?? [])]);
  const disableFeatures = componentizeFeatures.filter((feature) => !kept.has(feature));
  const inputsHash = createHash('sha256')
    .update(
      JSON.stringify({
        componentizeVersion,
        world: target.manifest.world,
        disableFeatures,
        wit: witFingerprint(target.registry, target.wit),
        source,
      }),
    )
    .digest('hex');
  if (
    !force &&
    (await readOrEmpty(hashFile(target))) === inputsHash &&
    (await readOrEmpty(target.wasm)) !== ''
  ) {
    return 'unchanged';
  }
  const workDir = join(cacheRoot, 'build', target.name);
  const witDir = join(workDir, 'wit');
  await stageWit(target.registry, target.wit, witDir);
  const sourcePath = join(workDir, `${target.name}.js`);
  await writeFile(sourcePath, source);
  const { component } = await componentize({
    sourcePath,
    witPath: witDir,
    worldName: target.manifest.world,
    disableFeatures: [...disableFeatures],
  });
  await mkdir(join(target.wasm, '..'), { recursive: true });
  await writeFile(target.wasm, component);
  await writeFile(hashFile(target), inputsHash);
  return 'built';
}

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  const wanted = process.argv.slice(2).filter((arg) => arg !== '--force');
  const targets = (await loadTargets()).filter(
    (target) => wanted.length === 0 || wanted.includes(target.name),
  );
  const unknown = wanted.filter((name) => !targets.some((target) => target.name === name));
  if (unknown.length > 0) throw new Error(`no component named ${unknown.join(', ')}`);
  allowWitFileAccess();
  for (const target of targets) {
    const started = performance.now();
    process.stdout.write(`build ${target.name.padEnd(14)} `);
    const outcome = await buildTarget(target, force);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${outcome.padEnd(9)} ${seconds.padStart(5)} s  ${relative(repoRoot, target.wasm)}`);
  }
}

await main();
