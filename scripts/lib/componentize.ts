import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

/**
 * componentize-js and jco run wasm-tools under preview2-shim, which grants no file-system access by
 * default: reading a WIT folder then fails with "os error 44". Grant the whole file system, as a
 * native CLI would have.
 */
export function allowWitFileAccess(): void {
  // The package's types are those of its browser build, which takes file data instead of host paths.
  (_setPreopens as (preopens: Record<string, string>) => void)({ '/': '/' });
}

/** componentize-js features; each costs imports and start-up work, so a module keeps only what it uses. */
export const componentizeFeatures = ['stdio', 'random', 'clocks', 'http', 'fetch-event'] as const;
export type ComponentizeFeature = (typeof componentizeFeatures)[number];
