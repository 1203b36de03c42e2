import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoadedComponent, loadComponent } from '@inferlib/host-shim';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Transpilations shared by every test run of this checkout. */
const cacheDir = join(repoRoot, 'node_modules', '.cache', 'inferlib', 'transpiled');

/** The path of a built component: a library module, an app, or an app's composition. */
export function builtComponentPath(name: string, kind: 'module' | 'app' | 'composed'): string {
  const path =
    kind === 'module'
      ? join(repoRoot, 'packages', name, 'dist', `${name}.wasm`)
      : join(repoRoot, 'examples', name, 'dist', kind === 'app' ? `${name}.wasm` : `${name}.composed.wasm`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`pnpm build && pnpm compose\` first`);
  return path;
}

export function loadBuilt(name: string, kind: 'module' | 'app' | 'composed'): Promise<LoadedComponent> {
  return loadComponent(builtComponentPath(name, kind), { cacheDir });
}
