import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuildTarget, loadTarget } from '../../cli/src/targets.ts';
import { repoRoot, workspace } from './paths.ts';

/** The workspace's components: library modules (`packages/*`) first, then apps (`examples/*`, `test/fixtures/*`), each group by name. */
export async function loadTargets(): Promise<BuildTarget[]> {
  const targets: BuildTarget[] = [];
  for (const group of ['packages', 'examples', join('test', 'fixtures')]) {
    const groupDir = join(repoRoot, group);
    const entries = (await readdir(groupDir, { withFileTypes: true })).filter((entry) => entry.isDirectory());
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const kind = group === 'packages' ? 'module' : 'app';
      const target = await loadTarget(join(groupDir, entry.name), kind, workspace);
      if (target !== undefined) targets.push(target);
    }
  }
  return targets;
}
