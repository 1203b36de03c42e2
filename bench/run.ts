/**
 * `pnpm bench`: measures the built components and prints a markdown table; writes results/latest.json.
 * Sections: sizes, build time, start-up of the composed inferlet, cross-component calls, chat rendering,
 * BRLE, and the library overhead per decode step beside its in-process baseline.
 */

import type * as Encoding from 'inferlib:brle/encoding';
import type * as Formatter from 'inferlib:chat/formatter';
import { execFile } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Brle } from '@inferlib/brle';
import { createHost, loadComponent, runInferlet } from '@inferlib/host-shim';
import { loadInProcessLibrary } from './in-process.ts';
import { type Figure, measure, since, single, table } from './measure.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(repoRoot, 'node_modules', '.cache', 'inferlib', 'bench-transpiled');
const componentPath = (group: string, name: string, composed = false) =>
  join(repoRoot, group, name, 'dist', composed ? `${name}.composed.wasm` : `${name}.wasm`);

async function sizes(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const group of ['packages', 'examples']) {
    for (const name of (await readdir(join(repoRoot, group))).sort()) {
      for (const composed of [false, true]) {
        const path = componentPath(group, name, composed);
        const exists = await stat(path).then(
          () => true,
          () => false,
        );
        if (!exists) continue;
        const bytes = await readFile(path);
        const label = relative(repoRoot, path);
        const target = composed && name === 'text-completion' ? '≤ 26 MB' : undefined;
        figures.push(single('size', `${label} (raw)`, bytes.length / 1e6, 'MB', target));
        figures.push(single('size', `${label} (gzip)`, gzipSync(bytes).length / 1e6, 'MB'));
      }
    }
  }
  return figures;
}

/** `pnpm build` of every component: forced (as from scratch; one run, it takes a minute) and with nothing changed. */
async function buildTimes(): Promise<Figure[]> {
  const build = (force: boolean) => async () => {
    const started = performance.now();
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'scripts', 'build.ts'), ...(force ? ['--force'] : [])],
      {
        cwd: repoRoot,
      },
    );
    return since(started) / 1000;
  };
  return [
    await measure('build', 'all components from scratch', 's', build(true), { warmups: 0, runs: 1 }),
    await measure('build', 'all components, nothing changed', 's', build(false), { warmups: 1, runs: 3 }),
  ];
}

async function startup(): Promise<Figure[]> {
  const path = componentPath('examples', 'text-completion', true);
  const transpile = await measure(
    'start-up',
    'transpile the composed text-completion (jco)',
    'ms',
    async () => {
      const started = performance.now();
      await loadComponent(path, { cacheDir: join(cacheDir, `transpile-${Math.random()}`) });
      return since(started);
    },
    { warmups: 0, runs: 2 },
  );
  const firstInstantiation = await measure(
    'start-up',
    'first instantiation (compile + instantiate)',
    'ms',
    async () => {
      const component = await loadComponent(path, { cacheDir });
      const started = performance.now();
      await component.instantiate(createHost().createInstance().imports);
      return since(started);
    },
    { warmups: 1, runs: 5 },
  );
  const component = await loadComponent(path, { cacheDir });
  const cached = await measure(
    'start-up',
    'instantiation with cached compilation',
    'ms',
    async () => {
      const started = performance.now();
      await component.instantiate(createHost().createInstance().imports);
      return since(started);
    },
    { warmups: 1, runs: 5 },
    '≤ 300 ms',
  );
  return [transpile, firstInstantiation, cached];
}

async function crossComponentCalls(): Promise<Figure[]> {
  const client = await loadComponent(componentPath('test/fixtures', 'brle-client', true), { cacheDir });
  const perCall = (scenario: string, calls: number) => async () => {
    const instance = createHost({ models: [] }).createInstance({ args: [scenario, String(calls)] });
    const started = performance.now();
    const outcome = await runInferlet(client, instance);
    if (!outcome.ok) throw new Error(outcome.error);
    return (since(started) * 1000) / calls;
  };
  return [
    await measure(
      'cross-component call',
      'brle.len() from another component',
      'µs',
      perCall('small', 20_000),
    ),
    await measure('cross-component call', 'brle.get-buffer() of 4096 runs', 'µs', perCall('list', 1_000)),
    await measure('cross-component call', 'new brle + len + drop', 'µs', perCall('churn', 5_000)),
  ];
}

async function chatRender(): Promise<Figure[]> {
  const chat = await loadComponent(componentPath('packages', 'chat'), { cacheDir });
  const { formatter } = (await chat.instantiate(createHost({ models: [] }).createInstance().imports)) as {
    formatter: typeof Formatter;
  };
  const { builtinModel } = await import('@inferlib/host-shim');
  const conversation = new formatter.ChatFormatter(builtinModel.promptTemplate ?? '');
  conversation.addSystem('You are a helpful assistant.');
  for (let turn = 0; turn < 19; turn++) {
    if (turn % 2 === 0) conversation.addUser(`Question ${turn}: what about paged attention and KV caches?`);
    else
      conversation.addAssistant(`Answer ${turn}: pages of the KV cache are allocated as the context grows.`);
  }
  return [
    await measure('chat', 'render a 20-message conversation in the component', 'ms', () => {
      const started = performance.now();
      for (let index = 0; index < 20; index++) conversation.render(true, false);
      return since(started) / 20;
    }),
  ];
}

const decodeSteps = 16;
let inProcessCopies = 0;

/** Host compute time of the single-input (decode) passes from pass `from` on. */
const hostDecodeMs = (host: ReturnType<typeof createHost>, from: number): number =>
  host.passTimes.slice(from).reduce((sum, pass) => sum + (pass.inputs === 1 ? pass.ms : 0), 0);

/**
 * Library overhead per decode step: the time of a `generate` step minus the host-shim's own forward-pass
 * time, in the composed context-client inferlet and in-process, at several context sizes.
 */
async function decodeOverhead(): Promise<Figure[]> {
  const client = await loadComponent(componentPath('test/fixtures', 'context-client', true), { cacheDir });
  const figures: Figure[] = [];
  for (const contextTokens of [128, 1024, 4096]) {
    const composed = await measure(
      'decode step',
      `${contextTokens}-token context, composed inferlet: library overhead`,
      'µs',
      async () => {
        const host = createHost();
        const instance = host.createInstance({
          args: ['decode', String(contextTokens), String(decodeSteps)],
        });
        const outcome = await runInferlet(client, instance);
        if (!outcome.ok) throw new Error(outcome.error);
        const { generateMs } = JSON.parse(outcome.returnValue ?? '{}') as { generateMs: number };
        return ((generateMs - hostDecodeMs(host, 0)) * 1000) / decodeSteps;
      },
      { warmups: 1, runs: 3 },
      contextTokens === 4096 ? '≤ 100 µs' : undefined,
    );
    const inProcess = await measure(
      'decode step',
      `${contextTokens}-token context, in-process: library overhead`,
      'µs',
      async () => {
        const host = createHost();
        const library = await loadInProcessLibrary(host.createInstance().imports, inProcessCopies++);
        const model = library.Model.getAuto();
        const context = new library.Context(model);
        context.fill(' a'.repeat(contextTokens));
        context.flush();
        const from = host.passTimes.length;
        const started = performance.now();
        context.generate({ tag: 'greedy' }, { maxTokens: decodeSteps, eosSequences: [] });
        return ((since(started) - hostDecodeMs(host, from)) * 1000) / decodeSteps;
      },
      { warmups: 1, runs: 3 },
    );
    figures.push(composed, inProcess, {
      ...single(
        'decode step',
        `${contextTokens}-token context: composed / in-process`,
        composed.median / inProcess.median,
        '×',
      ),
      ...(contextTokens === 4096 ? { target: '≤ 5×' } : {}),
    });
  }
  return figures;
}

/** A mask of `runs` alternating runs of 3. */
function bools(runs: number): boolean[] {
  return Array.from({ length: runs * 3 }, (_, index) => Math.floor(index / 3) % 2 === 1);
}

async function brleOperations(): Promise<Figure[]> {
  const component = await loadComponent(componentPath('packages', 'brle'), { cacheDir });
  const { encoding } = (await component.instantiate(createHost({ models: [] }).createInstance().imports)) as {
    encoding: typeof Encoding;
  };
  const figures: Figure[] = [];
  for (const runs of [1_000, 10_000, 100_000]) {
    const values = bools(runs);
    for (const [where, Class] of [
      ['in Node', Brle],
      ['in the component', encoding.Brle],
    ] as const) {
      const mask = Class.fromBools(values);
      const quarter = Math.floor(values.length / 4);
      const half = Math.floor(values.length / 2);
      figures.push(
        await measure(
          'brle',
          `${runs} runs, ${where}: mask-range + is-range-all-value + get-buffer`,
          'ms',
          () => {
            const started = performance.now();
            mask.maskRange(quarter, half, true);
            mask.isRangeAllValue(quarter, half, true);
            mask.getBuffer();
            mask.maskRange(quarter, half, false);
            return since(started);
          },
        ),
      );
    }
  }
  return figures;
}

const figures = [
  ...(await sizes()),
  ...(await buildTimes()),
  ...(await startup()),
  ...(await crossComponentCalls()),
  ...(await chatRender()),
  ...(await brleOperations()),
  ...(await decodeOverhead()),
];
const markdown = table(figures);
console.log(markdown);
await writeFile(
  join(repoRoot, 'bench', 'results', 'latest.json'),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, figures }, null, 2)}\n`,
);
