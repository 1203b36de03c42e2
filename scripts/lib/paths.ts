import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's top folder. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The single source of truth for WIT. */
export const witRoot = join(repoRoot, 'wit');
/** Scratch space for staged WIT and bundles; never committed. */
export const cacheRoot = join(repoRoot, 'node_modules', '.cache', 'inferlib');
