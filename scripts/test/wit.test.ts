import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { types } from '@bytecodealliance/jco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowWitFileAccess } from '../../cli/src/componentize.ts';
import { readWitPackage, readWitTree, stageWit, type WitPackage, WitRegistry } from '../../cli/src/wit.ts';
import { bindingsPackages } from '../lib/bindings-packages.ts';
import { repoRoot, witRoot } from '../lib/paths.ts';
import { loadTargets } from '../lib/workspace-targets.ts';

const declared = (pkg: WitPackage, kind: 'world' | 'interface'): string[] =>
  [...pkg.files.values()].flatMap((text) =>
    [...text.matchAll(new RegExp(`^\\s*${kind}\\s+([a-z][a-z0-9-]*)\\s*\\{`, 'gm'))].map(
      (match) => match[1] ?? '',
    ),
  );

let registry: WitRegistry;
let scratch: string;

beforeAll(async () => {
  registry = new WitRegistry(await readWitTree(witRoot));
  scratch = await mkdtemp(join(tmpdir(), 'inferlib-wit-'));
  allowWitFileAccess();
});

afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('wit/', () => {
  it('has the six inferlib packages, the grammar package, the app world and the host packages', () => {
    expect(registry.packages.map((pkg) => pkg.name).sort()).toEqual([
      'inferlet:adapter',
      'inferlet:core',
      'inferlet:zo',
      'inferlib:brle',
      'inferlib:chat',
      'inferlib:context',
      'inferlib:drafter',
      'inferlib:environment',
      'inferlib:grammar',
      'inferlib:model',
      'inferlib:queue',
      'inferlib:run',
      'wasi:io@0.2.4',
    ]);
  });

  it('keeps one interface per file, named after it', () => {
    for (const pkg of registry.packages) {
      for (const [file, text] of pkg.files) {
        const interfaces = [...text.matchAll(/^\s*interface\s+([a-z][a-z0-9-]*)/gm)].map((match) => match[1]);
        if (file === 'world.wit') expect(interfaces, `${pkg.name}/${file}`).toEqual([]);
        else expect(interfaces, `${pkg.name}/${file}`).toEqual([file.replace(/\.wit$/, '')]);
      }
    }
  });

  it('resolves every world of every package', async () => {
    const worlds = registry.packages.flatMap((pkg) =>
      declared(pkg, 'world').map((world) => ({ pkg, world })),
    );
    expect(worlds.map(({ pkg, world }) => `${pkg.name}/${world}`).sort()).toEqual([
      'inferlet:adapter/imports',
      'inferlet:core/imports',
      'inferlet:zo/imports',
      'inferlib:brle/brle-provider',
      'inferlib:chat/chat-formatter',
      'inferlib:chat/chat-templates-provider',
      'inferlib:context/context-generation-provider',
      'inferlib:context/context-provider',
      'inferlib:drafter/drafter-provider',
      'inferlib:environment/environment-provider',
      'inferlib:grammar/grammar-provider',
      'inferlib:model/model-provider',
      'inferlib:queue/queue-provider',
      'inferlib:run/app',
      'wasi:io@0.2.4/imports',
    ]);
    for (const { pkg, world } of worlds) {
      const dir = join(scratch, pkg.name.replace(/[:@]/g, '-'));
      await stageWit(registry, pkg, dir);
      const files = await types(dir, { worldName: world, guest: true });
      expect(Object.keys(files).length, `${pkg.name}/${world}`).toBeGreaterThan(0);
    }
  }, 60_000);

  it('rejects a world that does not resolve', async () => {
    const brle = registry.get('inferlib:brle');
    const broken: WitPackage = {
      ...brle,
      files: new Map([
        ...brle.files,
        ['world.wit', 'package inferlib:brle;\nworld w { import inferlib:nowhere/x; }\n'],
      ]),
    };
    const dir = join(scratch, 'broken');
    await stageWit(new WitRegistry([broken]), { ...broken, dependencies: [] }, dir);
    await expect(types(dir, { worldName: 'w', guest: true })).rejects.toThrow();
  });

  it('resolves every component target against its bindings packages alone', async () => {
    const targets = await loadTargets();
    expect(targets.map((target) => target.name)).toEqual(
      expect.arrayContaining(['brle', 'environment', 'hello']),
    );
    for (const target of targets) {
      const dir = join(scratch, `target-${target.name}`);
      await stageWit(target.registry, target.wit, dir);
      await types(dir, { worldName: target.manifest.world, guest: true });
    }
  }, 60_000);

  it('gives every interface to exactly one bindings package', () => {
    const all = registry.packages.flatMap((pkg) =>
      declared(pkg, 'interface').map(
        (iface) => `${pkg.name.replace(/@.*$/, '')}/${iface}${pkg.name.match(/@.*$/)?.[0] ?? ''}`,
      ),
    );
    const owned = bindingsPackages.flatMap((pkg) => pkg.interfaces);
    expect([...owned].sort()).toEqual([...all].sort());
  });
});

describe('readWitPackage', () => {
  it('finds the packages a package refers to, not those named in comments', async () => {
    const context = await readWitPackage(join(witRoot, 'context'));
    expect(context.name).toBe('inferlib:context');
    expect(context.dependencies).toEqual([
      'inferlib:brle',
      'inferlib:chat',
      'inferlib:grammar',
      'inferlib:model',
      'inferlib:queue',
    ]);
    const core = await readWitPackage(join(witRoot, 'deps', 'inferlet-core'));
    expect(core.dependencies).toEqual(['wasi:io']);
    expect((await readWitPackage(join(witRoot, 'brle'))).dependencies).toEqual([]);
  });

  it('fails clearly on a folder without WIT', async () => {
    await expect(readWitPackage(join(repoRoot, 'scripts'))).rejects.toThrow(/no \.wit files/);
  });

  it('names a missing dependency', () => {
    const lonely = new WitRegistry([
      { name: 'a:b', dir: '(test)', dependencies: ['c:d'], files: new Map([['x.wit', 'package a:b;']]) },
    ]);
    expect(() => lonely.transitiveDependencies(lonely.get('a:b'))).toThrow(
      'WIT package c:d is not available',
    );
  });
});
