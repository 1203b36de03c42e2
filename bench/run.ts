/**
 * `pnpm bench`: measures the built components and prints a markdown table; writes results/latest.json.
 * Sections: sizes, build time, start-up of text-completion in both builds, cross-component calls, chat
 * rendering, BRLE, the library's CPU time per decode step (composed, single-engine and in-process), prompt
 * lookup (context-pld against context), structured generation (`structured.ts`), and a soak of 10,000
 * contexts.
 */

import type * as Encoding from 'inferlib:brle/encoding';
import type * as Formatter from 'inferlib:chat/formatter';
import { execFile } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Brle } from '@inferlib/brle';
import {
  builtinModel,
  createHost,
  type Instance,
  type LoadedComponent,
  loadComponent,
  type ModelSpec,
  qwen3Tokenizer,
  runInferlet,
} from '@inferlib/host-shim';
import { artifactPaths } from '../cli/src/targets.ts';
import { cacheRoot, repoRoot } from '../scripts/lib/paths.ts';
import { engineComparison } from './engines.ts';
import { loadInProcessLibrary } from './in-process.ts';
import { type Figure, measure, since, single, table } from './measure.ts';
import { structuredGeneration } from './structured.ts';

const cacheDir = join(cacheRoot, 'bench-transpiled');
type Artifact = 'alone' | 'composed' | 'bundled';
const componentPath = (group: string, name: string, artifact: Artifact = 'alone') => {
  const paths = artifactPaths(join(repoRoot, group, name));
  return { alone: paths.wasm, composed: paths.composedWasm, bundled: paths.bundledWasm }[artifact];
};

const sizeTargets: Record<string, string> = {
  'examples/text-completion/dist/text-completion.composed.wasm': '≤ 26 MB',
  'examples/text-completion/dist/text-completion.bundled.wasm': '≤ 14 MB',
};

async function sizes(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const group of ['packages', 'examples']) {
    for (const name of (await readdir(join(repoRoot, group))).sort()) {
      for (const artifact of ['alone', 'composed', 'bundled'] as const) {
        const path = componentPath(group, name, artifact);
        const exists = await stat(path).then(
          () => true,
          () => false,
        );
        if (!exists) continue;
        const bytes = await readFile(path);
        const label = relative(repoRoot, path);
        figures.push(single('size', `${label} (raw)`, bytes.length / 1e6, 'MB', sizeTargets[label]));
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

/** Transpilation and instantiation of text-completion, composed and single-engine. */
async function startup(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const [artifact, label, targets] of [
    ['composed', 'composed', { cached: '≤ 300 ms' }],
    ['bundled', 'single-engine', { transpile: '≤ 5000 ms', cached: '≤ 30 ms' }],
  ] as const) {
    const path = componentPath('examples', 'text-completion', artifact);
    figures.push(
      await measure(
        'start-up',
        `transpile text-completion, ${label} (jco)`,
        'ms',
        async () => {
          const started = performance.now();
          await loadComponent(path, { cacheDir: join(cacheDir, `transpile-${Math.random()}`) });
          return since(started);
        },
        { warmups: 0, runs: 2 },
        'transpile' in targets ? targets.transpile : undefined,
      ),
    );
    const component = await loadComponent(path, { cacheDir });
    figures.push(
      await measure(
        'start-up',
        `instantiate text-completion, ${label}, compilation cached`,
        'ms',
        async () => {
          const started = performance.now();
          await component.instantiate(createHost().createInstance().imports);
          return since(started);
        },
        { warmups: 1, runs: 5 },
        targets.cached,
      ),
    );
  }
  return figures;
}

async function crossComponentCalls(): Promise<Figure[]> {
  const client = await loadComponent(componentPath('test/fixtures', 'brle-client', 'composed'), { cacheDir });
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

const decodeSteps = 128;

/**
 * A model whose forward pass costs next to nothing: Qwen 3's tokenizer, and logits that always pick the
 * same token from a small vocabulary (the prompt's tokens are in it), so the host's work is tiny.
 */
const nextToNothing: ModelSpec = (() => {
  const vocabSize = 1024;
  const logits = new Float32Array(vocabSize);
  logits[264] = 1;
  return {
    ...builtinModel,
    name: 'bench-fixed-token',
    languageModel: () => ({ vocabSize, logits: () => logits }),
  };
})();

/**
 * The library's time per decode step on `instance`: the main thread's time from one forward pass's `execute`
 * returning to the next one's starting (the library, its bindings and jco's glue; not the host's pass), the
 * median over the decode steps after the first. Node 20 has no per-thread CPU clock finer than the
 * scheduler's 4 ms tick, and process CPU time counts V8's background compilation of the component; the
 * median step is main-thread time that no other process interrupted.
 */
function libraryTimePerStep(instance: Instance): () => number {
  const forward = instance.imports['inferlet:core/forward'] as {
    ForwardPass: { prototype: { execute(): unknown } };
  };
  const { prototype } = forward.ForwardPass;
  const execute = prototype.execute;
  const between: number[] = [];
  let endedAt: number | undefined;
  prototype.execute = function timed(this: unknown) {
    const startedAt = performance.now();
    if (endedAt !== undefined) between.push((startedAt - endedAt) * 1000);
    try {
      return execute.call(this);
    } finally {
      endedAt = performance.now();
    }
  };
  // The last `decodeSteps` gaps are the decode steps; the first of them follows the prefill.
  return () => {
    const steps = between.slice(-decodeSteps + 1).sort((a, b) => a - b);
    return steps[Math.floor(steps.length / 2)] ?? Number.NaN;
  };
}

/**
 * Library overhead per decode step at several context sizes, composed, single-engine and in-process,
 * interleaved in one run so that the machine's noise falls on all alike.
 */
async function decodeOverhead(): Promise<Figure[]> {
  const clients = {
    composed: await loadComponent(componentPath('test/fixtures', 'context-client', 'composed'), { cacheDir }),
    'single-engine': await loadComponent(componentPath('test/fixtures', 'context-client', 'bundled'), {
      cacheDir,
    }),
  };
  let copies = 0;
  const variants: Record<string, (contextTokens: number) => Promise<number>> = {
    async composed(contextTokens) {
      return inComponent(clients.composed, contextTokens);
    },
    async 'single-engine'(contextTokens) {
      return inComponent(clients['single-engine'], contextTokens);
    },
    async 'in-process'(contextTokens) {
      const instance = createHost({ models: [nextToNothing] }).createInstance();
      const perStep = libraryTimePerStep(instance);
      const library = await loadInProcessLibrary(instance.imports, copies++);
      const context = new library.Context(library.Model.getAuto());
      context.fill(' a'.repeat(contextTokens));
      context.flush();
      context.generate({ tag: 'greedy' }, { maxTokens: decodeSteps, eosSequences: [] });
      return perStep();
    },
  };
  async function inComponent(client: LoadedComponent, contextTokens: number): Promise<number> {
    const instance = createHost({ models: [nextToNothing] }).createInstance({
      args: ['decode', String(contextTokens), String(decodeSteps)],
    });
    const perStep = libraryTimePerStep(instance);
    const outcome = await runInferlet(client, instance);
    if (!outcome.ok) throw new Error(outcome.error);
    return perStep();
  }
  const runs = 5;
  const figures: Figure[] = [];
  for (const contextTokens of [128, 1024, 4096]) {
    const samples = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
    for (const run of Object.values(variants)) await run(contextTokens); // warm-up
    for (let index = 0; index < runs; index++) {
      for (const [name, run] of Object.entries(variants)) samples.get(name)?.push(await run(contextTokens));
    }
    const median = (name: string) => {
      const values = [...(samples.get(name) ?? [])].sort((a, b) => a - b);
      return {
        median: values[Math.floor(values.length / 2)] ?? Number.NaN,
        min: values[0] ?? Number.NaN,
        max: values.at(-1) ?? Number.NaN,
      };
    };
    const targets: Record<string, string | undefined> = {
      composed: contextTokens === 4096 ? '≤ 400 µs' : undefined,
      'single-engine': contextTokens === 4096 ? '≤ 100 µs' : undefined,
    };
    for (const name of Object.keys(variants)) {
      const target = targets[name];
      figures.push({
        section: 'decode step',
        name: `${contextTokens}-token context, ${name}: library time per step`,
        ...median(name),
        unit: 'µs',
        runs,
        ...(target === undefined ? {} : { target }),
      });
    }
    for (const name of ['composed', 'single-engine']) {
      figures.push({
        ...single(
          'decode step',
          `${contextTokens}-token context: ${name} / in-process`,
          median(name).median / median('in-process').median,
          '×',
        ),
        ...(name === 'single-engine' && contextTokens === 4096 ? { target: '≤ 5×' } : {}),
      });
    }
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

const soakContexts = 10_000;

/**
 * The soak of test/soak.node.test.ts, on the library in Node: 10,000 contexts created, given a user turn,
 * run for two greedy tokens and dropped, on a model whose logits are computed once. Time and Node heap
 * growth per context, and the KV pages held at the end (the target: none). In a component a context costs
 * tens of milliseconds of interpretation, so that 10,000 would take minutes there.
 */
async function soak(): Promise<Figure[]> {
  const vocabSize = qwen3Tokenizer().vocabSize;
  const logits = new Float32Array(vocabSize);
  logits[264] = 1;
  const model: ModelSpec = {
    ...builtinModel,
    kvPageSize: 4,
    languageModel: () => ({ vocabSize, logits: () => logits }),
  };
  const instance = createHost({ models: [model] }).createInstance();
  // A copy of its own: the decode-step section numbers its copies from 0.
  const library = await loadInProcessLibrary(instance.imports, -1);
  const served = library.Model.getAuto();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  for (let index = 0; index < soakContexts; index++) {
    const context = new library.Context(served);
    context.fillUser(`soak ${index}`);
    context.generate({ tag: 'greedy' }, { maxTokens: 2, eosSequences: [] });
    context[Symbol.dispose]();
  }
  const perContextMs = since(started) / soakContexts;
  const heapGrowthKb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / soakContexts;
  const label = `${soakContexts} contexts, in-process`;
  return [
    single('soak', `${label}: time per context`, perContextMs, 'ms'),
    single('soak', `${label}: Node heap growth per context (no forced GC)`, heapGrowthKb, 'KB'),
    single('soak', `${label}: KV pages held at the end`, instance.stats().kvPages, 'pages', '0'),
  ];
}

/**
 * context-pld against context: text-completion and text-completion-pld (single-engine, the same app) answer a
 * prompt the built-in model echoes, on a host whose forward pass takes 3.5 ms (Pie's dummy model on this
 * machine's CPU), runs interleaved. Forward passes per generated token, and time per token: wall (the pass
 * latency included, so fewer passes show) and the process's CPU (the reference model computes every input's
 * logits, so verifying drafts costs the host-shim CPU that a GPU batch would not).
 */
async function promptLookup(): Promise<Figure[]> {
  const prompt =
    'Echo me: the quick brown fox jumps over the lazy dog; the five boxing wizards jump quickly; pack my box with five dozen liquor jugs.';
  const tokenizer = qwen3Tokenizer();
  const variants = {
    context: await loadComponent(componentPath('examples', 'text-completion', 'bundled'), { cacheDir }),
    'context-pld': await loadComponent(componentPath('examples', 'text-completion-pld', 'bundled'), {
      cacheDir,
    }),
  };
  const runOnce = async (app: LoadedComponent) => {
    const host = createHost({ forwardLatencyMs: 3.5 });
    const instance = host.createInstance({ args: ['-p', prompt, '-n', '128'] });
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const outcome = await runInferlet(app, instance);
    const wallMs = since(started);
    const cpu = process.cpuUsage(cpuBefore);
    if (!outcome.ok) throw new Error(outcome.error);
    // The answer and its end-of-turn token; the first pass is the prompt's.
    const tokens = tokenizer.encode(outcome.returnValue ?? '').length + 1;
    return {
      passesPerToken: (host.passTimes.length - 1) / tokens,
      wallMsPerToken: wallMs / tokens,
      cpuMsPerToken: (cpu.user + cpu.system) / 1000 / tokens,
    };
  };
  const runs = 5;
  const samples = new Map(
    Object.keys(variants).map((name) => [name, [] as Awaited<ReturnType<typeof runOnce>>[]]),
  );
  for (const app of Object.values(variants)) await runOnce(app); // warm-up
  for (let index = 0; index < runs; index++) {
    for (const [name, app] of Object.entries(variants)) samples.get(name)?.push(await runOnce(app));
  }
  const figures: Figure[] = [];
  const medians = new Map<string, Record<string, number>>();
  for (const [name, values] of samples) {
    const median = (key: keyof (typeof values)[number]) => {
      const sorted = values.map((value) => value[key]).sort((a, b) => a - b);
      return {
        median: sorted[Math.floor(runs / 2)] ?? Number.NaN,
        min: sorted[0] ?? Number.NaN,
        max: sorted.at(-1) ?? Number.NaN,
      };
    };
    const row = (
      key: keyof (typeof values)[number],
      label: string,
      unit: string,
      target?: string,
    ): Figure => ({
      section: 'prompt lookup',
      name: `${name}: ${label}`,
      ...median(key),
      unit,
      runs,
      ...(target === undefined ? {} : { target }),
    });
    const passes = row(
      'passesPerToken',
      'forward passes per generated token',
      'passes',
      name === 'context-pld' ? '< 1' : undefined,
    );
    const wall = row('wallMsPerToken', 'wall time per token (3.5 ms per pass)', 'ms');
    const cpu = row('cpuMsPerToken', 'process CPU time per token', 'ms');
    figures.push(passes, wall, cpu);
    medians.set(name, { wall: wall.median, cpu: cpu.median });
  }
  const ratio = (key: string) =>
    (medians.get('context-pld')?.[key] ?? Number.NaN) / (medians.get('context')?.[key] ?? Number.NaN);
  figures.push(single('prompt lookup', 'context-pld / context: wall time per token', ratio('wall'), '×'));
  figures.push(
    single('prompt lookup', 'context-pld / context: process CPU time per token', ratio('cpu'), '×'),
  );
  return figures;
}

const sections: Record<string, () => Promise<Figure[]>> = {
  size: sizes,
  build: buildTimes,
  'start-up': startup,
  'cross-component call': crossComponentCalls,
  chat: chatRender,
  brle: brleOperations,
  'decode step': decodeOverhead,
  'prompt lookup': promptLookup,
  structured: async () =>
    structuredGeneration({
      composed: await loadComponent(componentPath('test/fixtures', 'context-client', 'composed'), {
        cacheDir,
      }),
      'single-engine, QuickJS': await loadComponent(
        artifactPaths(join(repoRoot, 'test/fixtures/context-client')).engineWasm.quickjs,
        { cacheDir },
      ),
      'single-engine, StarlingMonkey': await loadComponent(
        artifactPaths(join(repoRoot, 'test/fixtures/context-client')).engineWasm.starlingmonkey,
        { cacheDir },
      ),
    }),
  soak,
  engines: () => engineComparison({ cacheDir, decodeSteps, model: nextToNothing, libraryTimePerStep }),
};
// `pnpm bench [section…]` measures only those sections (`decode`, `start-up`, …: a prefix is enough).
const wanted = process.argv.slice(2);
const figures: Figure[] = [];
for (const [name, section] of Object.entries(sections)) {
  if (wanted.length === 0 || wanted.some((prefix) => name.startsWith(prefix)))
    figures.push(...(await section()));
}
const markdown = table(figures);
console.log(markdown);
if (wanted.length === 0) {
  await writeFile(
    join(repoRoot, 'bench', 'results', 'latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, figures }, null, 2)}\n`,
  );
}
