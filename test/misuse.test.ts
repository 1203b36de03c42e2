/**
 * The README's table of misuse and what it gets, checked row by row: each row's message is what the case
 * produces (in one engine: the app's sources in Node, as the single-engine build behaves; the hostile
 * fixture's behaviours in its single-engine build).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createHost, type HostOptions, type Limits, loadComponent, runInferlet } from '@inferlib/host-shim';
import { beforeAll, describe, expect, it } from 'vitest';
import { sourceHashes, writeBuildRecord } from '../cli/src/build-record.ts';
import { loadApp } from './helpers/builds.ts';
import { type ComponentGroup, cacheDir, loadBuilt, repoRoot } from './helpers/components.ts';

/** The rows of the README's "When something goes wrong" table: misuse → message, backticks removed. */
async function readmeRows(): Promise<Map<string, string>> {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.split('## When something goes wrong')[1]?.split('\n## ')[0] ?? '';
  const cell = (text: string) => text.trim().replace(/^`|`$/g, '');
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| misuse') && !line.startsWith('| ---'))
    .map((line) => line.slice(1, -1).split(' | '))
    .map(([misuse = '', message = '']): [string, string] => [
      misuse.trim().replaceAll('`', ''),
      cell(message),
    ]);
  return new Map(rows);
}

/** The error of a run of the context-client fixture's scenario, in Node. */
async function contextClientError(...args: string[]): Promise<string> {
  const outcome = await runInferlet(
    await loadApp('test/fixtures', 'context-client', 'node'),
    createHost().createInstance({ args }),
  );
  return outcome.ok ? 'no error' : outcome.error;
}

/** The error of a run of an example's sources in Node, with `args`. */
async function exampleError(name: string, args: string[]): Promise<string> {
  const outcome = await runInferlet(
    await loadApp('examples', name, 'node'),
    createHost().createInstance({ args }),
  );
  return outcome.ok ? 'no error' : outcome.error;
}

/** The error of a run of one of the hostile fixture's behaviours, on a host with `options` and `limits`. */
async function hostileError(args: string[], options: HostOptions = {}, limits: Partial<Limits> = {}) {
  const outcome = await runInferlet(
    await loadApp('test/fixtures', 'hostile', 'bundled'),
    createHost(options).createInstance({ args, limits }),
  );
  return outcome.ok ? 'no error' : outcome.error;
}

async function loadError(bytes: Uint8Array): Promise<string> {
  const wasm = join(repoRoot, 'node_modules', '.cache', 'inferlib', 'misuse.wasm');
  await writeFile(wasm, bytes);
  try {
    await loadComponent(wasm, { cacheDir });
    return 'loaded';
  } catch (error) {
    return (error as Error).message.replace(wasm, '<file>');
  }
}

/** The error a component test meets on a single-engine build older than its sources, in a scratch app folder. */
async function staleBuildError(): Promise<string> {
  const scratch = join('node_modules', '.cache', 'inferlib', 'misuse');
  const app = join(scratch, 'examples', '<app>');
  const source = join(app, 'src', 'component.ts');
  const wasm = join(repoRoot, app, 'dist', '<app>.bundled.wasm');
  await mkdir(join(repoRoot, app, 'src'), { recursive: true });
  await mkdir(dirname(wasm), { recursive: true });
  await writeFile(join(repoRoot, source), 'export const run = 1;\n');
  await writeFile(wasm, '');
  await writeBuildRecord(wasm, {
    inputsHash: 'built',
    sources: await sourceHashes(wasm, [join(repoRoot, source)]),
  });
  await writeFile(join(repoRoot, source), 'export const run = 2;\n');
  try {
    await loadBuilt(join(scratch, 'examples') as ComponentGroup, '<app>', 'bundled');
    return 'loaded';
  } catch (error) {
    return (error as Error).message.replaceAll(`${scratch}/`, '');
  }
}

async function runError(group: 'examples' | 'packages', name: string): Promise<string> {
  const outcome = await runInferlet(await loadBuilt(group, name, 'alone'), createHost().createInstance());
  return outcome.ok ? 'no error' : outcome.error;
}

const cases: Record<string, () => Promise<string>> = {
  'generate on a context with nothing filled': () => contextClientError('empty'),
  'generate with an empty stop sequence': () => contextClientError('misuse', 'empty-stop'),
  'generate with max-tokens -1': () => contextClientError('misuse', 'negative-max-tokens'),
  'generate with top-k -5': () => contextClientError('misuse', 'negative-top-k'),
  'generate with top-k 0': () => contextClientError('misuse', 'zero-top-k'),
  'generate with top-p 1.5': () => contextClientError('misuse', 'top-p-above-one'),
  'predict with temperature NaN': () => contextClientError('misuse', 'predict-nan'),
  'score with a token id outside the vocabulary': () =>
    contextClientError('misuse', 'score-outside-vocabulary'),
  'a draft with a token id outside the vocabulary': () =>
    contextClientError('misuse', 'draft-outside-vocabulary'),
  'tools as {name, parameters}': () => contextClientError('misuse', 'tools-without-function'),
  'a context used after its drop': () => contextClientError('use-after-drop'),
  'a context dropped twice': () => contextClientError('drop-twice'),
  'a model used after its drop': () => contextClientError('model-after-drop'),
  'a JSON Schema keyword structured output cannot honour': () =>
    exampleError('json-extract', [
      '-p',
      'x',
      '--schema',
      JSON.stringify({ type: 'object', properties: { tags: { type: 'array', uniqueItems: true } } }),
    ]),
  'generate with max-tokens 99999999999': () => contextClientError('misuse', 'huge-max-tokens'),
  'a thrown object': () => contextClientError('throw-object'),
  'a test of a build older than its sources': staleBuildError,
  'a file that is not WebAssembly': () => loadError(new TextEncoder().encode('hello')),
  'a core module': () => loadError(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0)),
  "an app's own component, not composed": () => runError('examples', 'hello'),
  'a library module': () => runError('packages', 'brle'),
  'a socket without --allow-net': () => hostileError(['tcp', '9']),
  'an HTTP request without --allow-net': () => hostileError(['http', 'http://127.0.0.1:9/']),
  'a host not in --allow-net=example.com': () => hostileError(['tcp', '9'], { allowNet: ['example.com'] }),
  'a run longer than --timeout 1': () => hostileError(['loop'], {}, { timeoutMs: 1000 }),
  'a run whose promise never settles': () => hostileError(['never-settles']),
  'allocating past --max-memory-mb 64': () => hostileError(['allocate'], {}, { memoryBytes: 64 * 2 ** 20 }),
  'more KV pages than --max-kv-pages': () => hostileError(['kv-pages']),
  'a message over --max-message-kb': () => hostileError(['huge-message', '2']),
  'a blob over --max-blob-mb': () => hostileError(['huge-blob', '65']),
  'sending past --max-output-mb 8': () => hostileError(['flood'], {}, { outputBytes: 8 * 2 ** 20 }),
  'a handle the inferlet made up': () => hostileError(['forged-handle']),
};

let rows: Map<string, string>;
beforeAll(async () => {
  rows = await readmeRows();
});

describe("the README's misuse table", () => {
  it('has a row for each checked case and no other', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(cases).sort());
  });

  it.each(Object.keys(cases))('%s', async (misuse) => {
    expect(await cases[misuse]?.()).toBe(rows.get(misuse));
  });
});
