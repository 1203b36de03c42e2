import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectAt } from '../../cli/src/project.ts';

/** The repository's top folder. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The single source of truth for WIT. */
export const witRoot = join(repoRoot, 'wit');
/** The workspace as the project that the toolchain builds for. */
export const workspace = projectAt(repoRoot);
/** Scratch space for staged WIT and bundles; never committed. */
export const cacheRoot = workspace.cacheDir;
