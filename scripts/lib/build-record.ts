/**
 * What a component was built from, kept beside it (`<component>.inputs.json`): the hash of its componentize
 * inputs, which decides whether `pnpm build` builds it again, and a hash of each source file it bundled as
 * written, so that a test can refuse a component older than its sources instead of failing on a stale value.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export { sourceMapPath } from '../../host-shim/src/source-map.ts';

export interface BuildRecord {
  /** The componentize inputs (bundle, WIT, world, features, tool version). */
  readonly inputsHash: string;
  /** Each source file bundled (relative to the repository), with the hash of its text. */
  readonly sources: Readonly<Record<string, string>>;
}

const recordPath = (wasm: string): string => `${wasm}.inputs.json`;

const hashOf = (text: Buffer): string => createHash('sha256').update(text).digest('hex');

/** The hash of each of `inputs` as it is now; a file gone is `missing`. */
export async function sourceHashes(inputs: readonly string[]): Promise<Record<string, string>> {
  const sources: Record<string, string> = {};
  for (const input of inputs) {
    sources[input] = await readFile(join(repoRoot, input)).then(hashOf, () => 'missing');
  }
  return sources;
}

export async function readBuildRecord(wasm: string): Promise<BuildRecord | undefined> {
  try {
    return JSON.parse(await readFile(recordPath(wasm), 'utf8')) as BuildRecord;
  } catch {
    return undefined;
  }
}

export function writeBuildRecord(wasm: string, record: BuildRecord): Promise<void> {
  return writeFile(recordPath(wasm), `${JSON.stringify(record, null, 1)}\n`);
}

/** Whether two records hold the same source files with the same texts. */
export function sameSources(a: BuildRecord['sources'], b: BuildRecord['sources']): boolean {
  const files = Object.keys(a);
  return files.length === Object.keys(b).length && files.every((file) => a[file] === b[file]);
}

/**
 * The source files of `wasm` that changed since it was built or last checked by `pnpm build` (empty when it
 * is current), or `undefined` when no build recorded them.
 */
export async function changedSources(wasm: string): Promise<string[] | undefined> {
  const record = await readBuildRecord(wasm);
  if (record === undefined) return undefined;
  const now = await sourceHashes(Object.keys(record.sources));
  return Object.keys(record.sources).filter((file) => now[file] !== record.sources[file]);
}
