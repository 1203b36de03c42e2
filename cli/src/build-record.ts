/**
 * What a component was built from, kept beside it (`<component>.inputs.json`): the hash of its componentize
 * inputs, which decides whether a build builds it again, and a hash of each source file it bundled as written,
 * so that a test can refuse a component older than its sources instead of failing on a stale value. Sources are
 * named relative to the component's folder, so that a record holds wherever it is read from.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

export { sourceMapPath } from '@inferlib/host-shim';

export interface BuildRecord {
  /** The componentize inputs (bundle, WIT, world, features, tool version). */
  readonly inputsHash: string;
  /** Each source file bundled (relative to the component's folder), with the hash of its text. */
  readonly sources: Readonly<Record<string, string>>;
}

const recordPath = (wasm: string): string => `${wasm}.inputs.json`;

const hashOf = (text: Buffer): string => createHash('sha256').update(text).digest('hex');

/** The hash of each of `files` as it is now, named relative to `wasm`'s folder; a file gone is `missing`. */
export async function sourceHashes(wasm: string, files: readonly string[]): Promise<Record<string, string>> {
  const sources: Record<string, string> = {};
  for (const file of files) {
    sources[relative(dirname(wasm), file)] = await readFile(file).then(hashOf, () => 'missing');
  }
  return sources;
}

/** The sources of `record`, a record of `from`, named relative to `to`'s folder instead (a composition's). */
export function rebasedSources(record: BuildRecord, from: string, to: string): BuildRecord['sources'] {
  return Object.fromEntries(
    Object.entries(record.sources).map(([file, hash]) => [
      relative(dirname(to), join(dirname(from), file)),
      hash,
    ]),
  );
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
 * The source files (absolute paths) of `wasm` that changed since it was built or last checked by a build (empty
 * when it is current), or `undefined` when no build recorded them.
 */
export async function changedSources(wasm: string): Promise<string[] | undefined> {
  const record = await readBuildRecord(wasm);
  if (record === undefined) return undefined;
  const files = Object.keys(record.sources).map((file) => join(dirname(wasm), file));
  const now = await sourceHashes(wasm, files);
  return Object.keys(record.sources)
    .filter((file) => now[file] !== record.sources[file])
    .map((file) => join(dirname(wasm), file));
}
