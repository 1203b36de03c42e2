/**
 * Apps and modules in every build: their components under jco, or their sources linked in Node (vitest
 * only: each instantiation loads a fresh copy through the module registry), as `@inferlib/cli/testing` loads
 * a project's inferlet.
 */
import { join } from 'node:path';
import type { LoadedComponent } from '@inferlib/host-shim';
import { loadSources } from '../../cli/src/testing.ts';
import { type AppBuild, type ComponentGroup, loadBuilt, repoRoot } from './components.ts';

/** An app in the given build. */
export function loadApp(group: ComponentGroup, name: string, build: AppBuild): Promise<LoadedComponent> {
  return build === 'node'
    ? Promise.resolve(loadSources(join(repoRoot, group, name), 'app'))
    : loadBuilt(group, name, build);
}

/** A library module as its component (`component`) or its sources in Node (`node`). */
export function loadModule(name: string, build: 'component' | 'node'): Promise<LoadedComponent> {
  return build === 'node'
    ? Promise.resolve(loadSources(join(repoRoot, 'packages', name), 'module'))
    : loadBuilt('packages', name);
}
