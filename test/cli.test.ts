import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ChildResult, runTypeScript } from './helpers/child.ts';
import { builtComponentPath, cacheDir, repoRoot } from './helpers/components.ts';
import { startCountingServer } from './helpers/counting-server.ts';

const cli = join(repoRoot, 'cli', 'src', 'main.ts');

const inferlib = (...args: string[]): Promise<ChildResult> =>
  runTypeScript(cli, args, { cwd: join(repoRoot, 'host-shim') });

describe('inferlib', () => {
  it('tells its version and the host ABI, and refuses build and check outside an inferlet project', async () => {
    const { version } = JSON.parse(await readFile(join(repoRoot, 'cli', 'package.json'), 'utf8'));
    expect(await inferlib('--version')).toMatchObject({
      code: 0,
      stdout: `inferlib ${version} (host ABI: Pie f60cdb4e9)\n`,
    });
    const notAnInferlet = await inferlib('check');
    expect(notAnInferlet).toMatchObject({
      code: 1,
      stderr: `inferlib: ${join(repoRoot, 'host-shim')}/package.json has no inferlib.component: no inferlet project (inferlib new <dir> makes one)\n`,
    });
  });
});

describe('inferlib run', () => {
  const hello = () => builtComponentPath('examples', 'hello', 'composed');

  it('prints the return value of an inferlet run with arguments', async () => {
    const result = await inferlib(
      'run',
      hello(),
      '--cache-dir',
      cacheDir,
      '--seed',
      '3',
      '--',
      'Ada',
      'Alan',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Hello, Ada and Alan! \(from inferlet [0-9a-f-]{36}\)\n$/);
  });

  it('prints what the inferlet sends as it arrives, then its return value', async () => {
    const chat = builtComponentPath('examples', 'chat', 'bundled');
    const result = await inferlib('run', chat, '--cache-dir', cacheDir, '--', 'Hi there.');
    expect(result).toMatchObject({ code: 0, stdout: '> Hi there.\nHi there.\n' });
    const streamed = await inferlib(
      'run',
      builtComponentPath('examples', 'text-completion', 'bundled'),
      '--cache-dir',
      cacheDir,
      '--',
      '-p',
      'Stream me.',
      '--stream',
    );
    // The stream ends without a newline of its own: the CLI ends the line; the return value is empty.
    expect(streamed).toMatchObject({ code: 0, stdout: 'Stream me.\n' });
  });

  it('ends with a clear message and exit code 1 when the inferlet returns err', async () => {
    const result = await inferlib('run', hello(), '--cache-dir', cacheDir, '--', '--fail');
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain('inferlet failed: asked to fail with --fail');
  });

  it('rejects bad options and a missing component without a stack trace', async () => {
    const badSeed = await inferlib('run', hello(), '--seed', 'x');
    expect(badSeed).toMatchObject({
      code: 1,
      stderr: 'inferlib: --seed x: expected a whole number (negative ones too)\n',
    });
    const missing = await inferlib('run', 'no-such.wasm');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^inferlib: ENOENT.*no-such\.wasm'\n$/);
    expect((await inferlib('launch')).code).toBe(2);
  });

  it('diagnoses in one line what is no inferlet: text, a core module, an uncomposed app, a library module', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inferlib-cli-'));
    const text = join(dir, 'notes.wasm');
    const core = join(dir, 'core.wasm');
    await writeFile(text, 'hello');
    await writeFile(core, Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
    const run = (wasm: string) => inferlib('run', wasm, '--cache-dir', cacheDir);
    expect(await run(text)).toMatchObject({
      code: 1,
      stderr: `inferlib: ${text} is not WebAssembly (a component starts with \\0asm); build one with pnpm build\n`,
    });
    expect(await run(core)).toMatchObject({
      code: 1,
      stderr: `inferlib: ${core} is a core WebAssembly module, not a component; componentize it (pnpm build makes components)\n`,
    });
    const uncomposed = await run(builtComponentPath('examples', 'hello', 'alone'));
    expect(uncomposed.code).toBe(1);
    expect(uncomposed.stderr).toMatch(
      /(^|\n)inferlet failed: the component imports inferlib:environment\/runtime, which no host provides: it is an app not composed with the library; run its dist\/<app>\.bundled\.wasm or dist\/<app>\.composed\.wasm \(pnpm build, pnpm compose\)\n$/,
    );
    // The first run of a component says that it transpiles it.
    const library = await run(builtComponentPath('packages', 'brle', 'alone'));
    expect(library.code).toBe(1);
    expect(library.stderr).toMatch(
      /(^|\n)inferlet failed: the component exports inferlib:brle\/encoding, not inferlet:core\/run: it is a library module, not an inferlet\n$/,
    );
  });

  it('ends a run at --timeout, and lets it reach the network only with --allow-net, naming the option', async () => {
    const hostile = builtComponentPath('test/fixtures', 'hostile', 'bundled');
    const run = (...args: string[]) => inferlib('run', hostile, '--cache-dir', cacheDir, ...args);
    const loop = await run('--timeout', '1', '--', 'loop');
    expect(loop).toMatchObject({ code: 1, stdout: '' });
    expect(loop.stderr).toMatch(
      /(^|\n)inferlet failed: the inferlet was stopped after 1 s: the limit of 1 s per run \(--timeout\)\n$/,
    );
    const server = await startCountingServer();
    try {
      const url = `http://127.0.0.1:${server.port}/cli`;
      const refused = await run('--', 'http', url);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `inferlet failed: the inferlet trapped: wasi:http/outgoing-handler.handle: a request to 127.0.0.1:${server.port} is refused`,
      );
      expect(await server.reached()).toEqual({ connections: 0, requests: 0 });
      expect(await run('--allow-net', '--', 'http', url)).toMatchObject({
        code: 0,
        stdout: '200 counted 1\n',
      });
      expect(await run(`--allow-net=127.0.0.1:${server.port}`, '--', 'http', url)).toMatchObject({
        code: 0,
        stdout: '200 counted 2\n',
      });
    } finally {
      await server.close();
    }
    expect(await run('--max-kv-pages', 'x')).toMatchObject({
      code: 1,
      stderr: 'inferlib: --max-kv-pages x: expected a whole number ≥ 1\n',
    });
  });

  it('reports prefill, time to first token and steady time per token apart', async () => {
    const completion = builtComponentPath('examples', 'text-completion', 'bundled');
    const result = await inferlib(
      'run',
      completion,
      '--cache-dir',
      cacheDir,
      '--',
      '-p',
      'Echo this.',
      '-n',
      '8',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /\[host-shim: prefill \d+ tokens in [\d.]+ ms; first token at [\d.]+ ms; then \d+ tokens at [\d.]+ ms\/token\]\n/,
    );
  });

  it.each(['bundled', 'starlingmonkey', 'composed'] as const)(
    "prints an app error's stack at the app's TypeScript lines (%s), and a thrown object as its JSON",
    async (build) => {
      const client = builtComponentPath('test/fixtures', 'context-client', build);
      const bug = await inferlib('run', client, '--cache-dir', cacheDir, '--', 'app-bug');
      expect(bug.code).toBe(1);
      const source = join('test', 'fixtures', 'context-client', 'src', 'component.ts');
      const line = (await readFile(join(repoRoot, source), 'utf8'))
        .split('\n')
        .indexOf('      return String(missing.field.x);');
      expect(line).toBeGreaterThan(0);
      expect(bug.stderr).toMatch(new RegExp(`^TypeError: .*\\n {4}at .*${source}:${line + 1}:\\d+`, 'm'));
      expect(bug.stderr).toMatch(/inferlet failed: .*\n$/);
      const object = await inferlib('run', client, '--cache-dir', cacheDir, '--', 'throw-object');
      expect(object.stderr).toBe('inferlet failed: a thrown object: {"code":7,"reason":"a thrown object"}\n');
    },
  );
});

describe('pnpm start --help', () => {
  it("shows the CLI's and the inferlet's options without building anything", async () => {
    const result = await runTypeScript(join(repoRoot, 'scripts', 'start.ts'), ['--', '--help'], {
      cwd: repoRoot,
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^usage: pnpm start \[app\] \[--composed\]/);
    expect(result.stdout).toContain('--latency-ms MS');
    expect(result.stdout).toContain('--allow-net=H,…');
    expect(result.stdout).toContain('--timeout S');
    expect(result.stdout).toContain('-p, --prompt TEXT');
    expect(result.stdout).not.toMatch(/^build /m);
  });
});
