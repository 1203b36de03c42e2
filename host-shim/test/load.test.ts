import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentEmbed, componentNew } from '@bytecodealliance/jco';
import { afterAll, describe, expect, it } from 'vitest';
import { allowWitFileAccess } from '../../cli/src/componentize.ts';
import { loadComponent } from '../src/load.ts';

const scratch = await mkdtemp(join(tmpdir(), 'inferlib-load-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

/** A tiny component exporting one function `name`, with a stand-in core module. */
async function tinyComponent(name: string): Promise<Uint8Array> {
  const witDir = join(scratch, `wit-${name}`);
  await rm(witDir, { recursive: true, force: true });
  await mkdir(witDir, { recursive: true });
  await writeFile(
    join(witDir, 'world.wit'),
    `package test:${name};\nworld w {\n  export ${name}: func() -> u32;\n}\n`,
  );
  allowWitFileAccess();
  const embedded = await componentEmbed({ dummy: true, witPath: witDir, world: 'w' } as Parameters<
    typeof componentEmbed
  >[0]);
  return componentNew(embedded, []);
}

describe('the transpile cache', () => {
  it('keeps at most its limit, evicting the least recently used, and transpiles an evicted one again', async () => {
    const cacheDir = join(scratch, 'cache');
    const [first, second] = [await tinyComponent('first'), await tinyComponent('second')];
    let transpiled = 0;
    const load = (wasm: Uint8Array, cacheLimitBytes: number) =>
      loadComponent(wasm, { cacheDir, cacheLimitBytes, onTranspile: () => transpiled++ });
    const entries = async () => (await readdir(cacheDir)).filter((name) => /^[0-9a-f]{32}$/.test(name));
    const firstDir = (await load(first, 10 ** 9)).dir;
    const secondDir = (await load(second, 10 ** 9)).dir;
    expect([transpiled, (await entries()).length]).toEqual([2, 2]);
    // Using the first makes the second the least recently used: room for two and a half entries evicts it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await load(first, 10 ** 9);
    expect(transpiled).toBe(2);
    const entrySize = await sizeOf(firstDir);
    const thirdDir = (await load(await tinyComponent('third'), 2.5 * entrySize)).dir;
    const names = (dirs: string[]) => dirs.map((dir) => dir.slice(-32)).sort();
    expect((await entries()).sort()).toEqual(names([firstDir, thirdDir]));
    // The evicted one transpiles again; a limit below one entry keeps only the one just loaded.
    await load(second, 1);
    expect(transpiled).toBe(4);
    expect(await entries()).toEqual(names([secondDir]));
  });
});
