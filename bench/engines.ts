/**
 * The bench's `engines` section: the single-engine builds on QuickJS and on StarlingMonkey side by side —
 * size, build, start-up, library time per decode step, and edit → run of an app — each pair measured
 * interleaved in one run, with the QuickJS / StarlingMonkey ratio.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import {
  createHost,
  type Instance,
  type LoadedComponent,
  loadComponent,
  type ModelSpec,
  runInferlet,
} from '@inferlib/host-shim';
import { artifactPaths, type SingleEngine, singleEngines } from '../cli/src/targets.ts';
import { repoRoot } from '../scripts/lib/paths.ts';
import { type Figure, since, single } from './measure.ts';

/** What the decode-step measurement of `run.ts` is made of, so that both sections measure alike. */
export interface DecodeStepTools {
  readonly cacheDir: string;
  readonly decodeSteps: number;
  /** A model whose forward pass costs next to nothing. */
  readonly model: ModelSpec;
  /** The library's median time per decode step on an instance, read once its run ended. */
  readonly libraryTimePerStep: (instance: Instance) => () => number;
}

const engineLabel: Record<SingleEngine, string> = { quickjs: 'QuickJS', starlingmonkey: 'StarlingMonkey' };
const enginePath = (group: string, app: string, engine: SingleEngine): string =>
  artifactPaths(join(repoRoot, group, app)).engineWasm[engine];

/** Median, min and max of `values`. */
function spread(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/**
 * Runs `measure` for each engine `runs` times after `warmups`, the engines taking turns, and gives a figure per
 * engine and the QuickJS / StarlingMonkey ratio of the medians.
 */
async function sideBySide(
  name: string,
  unit: string,
  measure: (engine: SingleEngine) => Promise<number>,
  { warmups, runs, target }: { warmups: number; runs: number; target?: string },
): Promise<Figure[]> {
  const samples = new Map<SingleEngine, number[]>(singleEngines.map((engine) => [engine, []]));
  for (let index = 0; index < warmups; index++) for (const engine of singleEngines) await measure(engine);
  for (let index = 0; index < runs; index++) {
    for (const engine of singleEngines) samples.get(engine)?.push(await measure(engine));
  }
  const figures: Figure[] = singleEngines.map((engine) => ({
    section: 'engines',
    name: `${name}, ${engineLabel[engine]}`,
    ...spread(samples.get(engine) ?? []),
    unit,
    runs,
    ...(engine === 'quickjs' && target !== undefined ? { target } : {}),
  }));
  const [quickjs, starlingmonkey] = figures;
  figures.push(
    single(
      'engines',
      `${name}: QuickJS / StarlingMonkey`,
      (quickjs?.median ?? 0) / (starlingmonkey?.median ?? 0),
      '×',
    ),
  );
  return figures;
}

/** The single-engine text-completion's size in each engine, raw and gzip. */
async function sizes(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const [label, measureBytes, target] of [
    ['raw', (bytes: Uint8Array) => bytes.length, '≤ 3 MB'],
    ['gzip', (bytes: Uint8Array) => gzipSync(bytes).length, undefined],
  ] as const) {
    const values = new Map<SingleEngine, number>();
    for (const engine of singleEngines) {
      const size = measureBytes(await readFile(enginePath('examples', 'text-completion', engine))) / 1e6;
      values.set(engine, size);
      figures.push(
        single(
          'engines',
          `text-completion size (${label}), ${engineLabel[engine]}`,
          size,
          'MB',
          engine === 'quickjs' ? target : undefined,
        ),
      );
    }
    figures.push(
      single(
        'engines',
        `text-completion size (${label}): QuickJS / StarlingMonkey`,
        (values.get('quickjs') ?? 0) / (values.get('starlingmonkey') ?? 0),
        '×',
      ),
    );
  }
  return figures;
}

const tsx = (args: readonly string[], env: NodeJS.ProcessEnv = process.env) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', ...args], { cwd: repoRoot, env });

/** `scripts/build.ts text-completion.<engine> --force`: bundling, the typecheck and componentizing, as after an edit. */
async function buildSeconds(engine: SingleEngine): Promise<number> {
  const started = performance.now();
  await tsx([join(repoRoot, 'scripts', 'build.ts'), `text-completion.${engine}`, '--force']);
  return since(started) / 1000;
}

/**
 * Edit → run: what `pnpm start` costs after an edit of the app — the build as after an edit (`--force`: the
 * typecheck and componentizing run again), then `inferlib run` in a new process with an empty transpile cache
 * (new bytes are transpiled), 16 tokens.
 */
async function editToRunSeconds(engine: SingleEngine): Promise<number> {
  const cache = await mkdtemp(join(tmpdir(), 'inferlib-edit-run-'));
  try {
    const started = performance.now();
    await tsx([join(repoRoot, 'scripts', 'build.ts'), `text-completion.${engine}`, '--force']);
    await tsx(
      [
        join(repoRoot, 'host-shim', 'src', 'cli.ts'),
        'run',
        enginePath('examples', 'text-completion', engine),
        '--',
        '-p',
        'Tell me about paged attention.',
        '-n',
        '16',
      ],
      { ...process.env, XDG_CACHE_HOME: cache },
    );
    return since(started) / 1000;
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
}

/** Library time per decode step of the `context-client` fixture's single-engine builds, at 128, 1k and 4k tokens. */
export async function decodeSteps(
  tools: DecodeStepTools,
  clients: Readonly<Record<string, LoadedComponent>>,
  labelOf: (name: string) => string = (name) => name,
): Promise<Figure[]> {
  const figures: Figure[] = [];
  const runs = 5;
  for (const contextTokens of [128, 1024, 4096]) {
    const samples = new Map<string, number[]>(Object.keys(clients).map((name) => [name, []]));
    const step = async (client: LoadedComponent) => {
      const instance = createHost({ models: [tools.model] }).createInstance({
        args: ['decode', String(contextTokens), String(tools.decodeSteps)],
      });
      const perStep = tools.libraryTimePerStep(instance);
      const outcome = await runInferlet(client, instance);
      if (!outcome.ok) throw new Error(outcome.error);
      return perStep();
    };
    for (const client of Object.values(clients)) await step(client); // warm-up
    for (let index = 0; index < runs; index++) {
      for (const [name, client] of Object.entries(clients)) samples.get(name)?.push(await step(client));
    }
    for (const name of Object.keys(clients)) {
      figures.push({
        section: 'engines',
        name: `decode step, ${contextTokens}-token context, ${labelOf(name)}: library time per step`,
        ...spread(samples.get(name) ?? []),
        unit: 'µs',
        runs,
      });
    }
    const [first, second] = Object.keys(clients);
    if (first !== undefined && second !== undefined) {
      const ratio = spread(samples.get(first) ?? []).median / spread(samples.get(second) ?? []).median;
      figures.push(
        single(
          'engines',
          `decode step, ${contextTokens}-token context: ${labelOf(first)} / ${labelOf(second)}`,
          ratio,
          '×',
        ),
      );
    }
  }
  return figures;
}

export async function engineComparison(tools: DecodeStepTools): Promise<Figure[]> {
  const figures = await sizes();
  figures.push(
    ...(await sideBySide('text-completion build (as after an edit)', 's', buildSeconds, {
      warmups: 0,
      runs: 3,
      target: '≤ 5 s',
    })),
  );
  figures.push(
    ...(await sideBySide(
      'transpile text-completion (jco)',
      'ms',
      async (engine) => {
        const cacheDir = await mkdtemp(join(tmpdir(), 'inferlib-transpile-'));
        try {
          const started = performance.now();
          await loadComponent(enginePath('examples', 'text-completion', engine), { cacheDir });
          return since(started);
        } finally {
          await rm(cacheDir, { recursive: true, force: true });
        }
      },
      { warmups: 0, runs: 3 },
    )),
  );
  const loaded = new Map<SingleEngine, LoadedComponent>();
  for (const engine of singleEngines) {
    loaded.set(
      engine,
      await loadComponent(enginePath('examples', 'text-completion', engine), { cacheDir: tools.cacheDir }),
    );
  }
  figures.push(
    ...(await sideBySide(
      'instantiate text-completion, compilation cached',
      'ms',
      async (engine) => {
        const started = performance.now();
        await loaded.get(engine)?.instantiate(createHost().createInstance().imports);
        return since(started);
      },
      { warmups: 1, runs: 5 },
    )),
  );
  const clients: Record<string, LoadedComponent> = {};
  for (const engine of singleEngines) {
    clients[engine] = await loadComponent(enginePath('test/fixtures', 'context-client', engine), {
      cacheDir: tools.cacheDir,
    });
  }
  figures.push(...(await decodeSteps(tools, clients, (engine) => engineLabel[engine as SingleEngine])));
  figures.push(
    ...(await sideBySide('edit → run of text-completion', 's', editToRunSeconds, {
      warmups: 0,
      runs: 3,
      target: '≤ 8 s',
    })),
  );
  return figures;
}
