import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoadedComponent, loadComponent } from '@inferlib/host-shim';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Transpilations shared by every test run of this checkout. */
export const cacheDir = join(repoRoot, 'node_modules', '.cache', 'inferlib', 'transpiled');

/** Where built components live: library modules, example apps, test fixtures. */
export type ComponentGroup = 'packages' | 'examples' | 'test/fixtures';

/** The path of a built component, or of an app's composition with the modules it needs. */
export function builtComponentPath(group: ComponentGroup, name: string, composed = false): string {
  const path = join(repoRoot, group, name, 'dist', composed ? `${name}.composed.wasm` : `${name}.wasm`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`pnpm build && pnpm compose\` first`);
  return path;
}

export function loadBuilt(group: ComponentGroup, name: string, composed = false): Promise<LoadedComponent> {
  return loadComponent(builtComponentPath(group, name, composed), { cacheDir });
}
