/**
 * The hostile-inferlet suite: the hostile fixture tries, one behaviour per run, what an inferlet someone else
 * wrote might, on one host beside a well-behaved neighbour holding two KV pages it exported. Each behaviour
 * must end with its message, while the neighbour's pages, their export and what they hold stay as they were,
 * and nothing reaches a server on 127.0.0.1 unless the network is allowed. docs/testing.md lists them.
 */
import { createHost, type Host, type Instance, type LoadedComponent, runInferlet } from '@inferlib/host-shim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApp } from './helpers/builds.ts';
import { type CountingServer, startCountingServer } from './helpers/counting-server.ts';

const mebibyte = 2 ** 20;
/** Small limits, so that each behaviour ends soon; KV pages and messages keep their defaults. */
const hostileLimits = {
  timeoutMs: 30_000,
  memoryBytes: 64 * mebibyte,
  blobBytes: mebibyte,
  outputBytes: 8 * mebibyte,
};
const networkOff =
  'the network is refused: inferlets get no network unless the user allows it; run with --allow-net (every host) or --allow-net=<host>[:<port>],…';
const staleHandle =
  'the inferlet trapped: a resource was used after it was dropped, or dropped twice (jco: Invalid handle), or its handle was made up';

let hostile: LoadedComponent;
let server: CountingServer;
beforeAll(async () => {
  hostile = await loadApp('test/fixtures', 'hostile', 'bundled');
  server = await startCountingServer();
});
afterAll(() => server?.close());

/** Runs a behaviour in a new instance of `host` and ends the instance, as the runtime does. */
async function attempt(host: Host, args: string[], limits = {}) {
  const instance = host.createInstance({ args, limits: { ...hostileLimits, ...limits } });
  const outcome = await runInferlet(hostile, instance);
  instance.end();
  return outcome;
}

describe('a hostile inferlet beside a neighbour, with no network', () => {
  let host: Host;
  let neighbour: Instance;
  let shared: { pages: number[]; next: number };
  beforeAll(async () => {
    host = createHost();
    neighbour = host.createInstance({ args: ['export-pages', 'shared'] });
    const outcome = await runInferlet(hostile, neighbour);
    if (!outcome.ok) throw new Error(outcome.error);
    shared = JSON.parse(outcome.returnValue ?? '');
  });

  /** Behaviour, arguments, limits of its own, and what it gets: a return value, or the error. */
  const behaviours: [
    string,
    () => string[],
    object,
    { ok: true; value: string } | { error: string | RegExp },
  ][] = [
    ['files', () => [], {}, { ok: true, value: '[]' }],
    ['environment', () => [], {}, { ok: true, value: '{"variables":[],"arguments":[],"cwd":null}' }],
    [
      'tcp',
      () => [String(server.port)],
      {},
      { error: `the inferlet trapped: wasi:sockets/instance-network.instance-network: ${networkOff}` },
    ],
    [
      'lookup',
      () => ['localhost'],
      {},
      { error: `the inferlet trapped: wasi:sockets/instance-network.instance-network: ${networkOff}` },
    ],
    [
      'http',
      () => [`http://127.0.0.1:${server.port}/hostile`],
      {},
      {
        error:
          /^the inferlet trapped: wasi:http\/outgoing-handler\.handle: a request to 127\.0\.0\.1:\d+ is refused: inferlets get no network unless the user allows it; run with --allow-net/,
      },
    ],
    [
      'loop',
      () => [],
      { timeoutMs: 1000 },
      { error: 'the inferlet was stopped after 1 s: the limit of 1 s per run (--timeout)' },
    ],
    // SpiderMonkey's own limit: an error the inferlet could catch, which `main` turns into its `err`.
    ['recurse', () => [], {}, { error: 'too much recursion' }],
    [
      'allocate',
      () => [],
      {},
      {
        error:
          'out of memory: its linear memory may not grow past the limit of 64 MiB per linear memory (--max-memory-mb)',
      },
    ],
    [
      'kv-pages',
      () => [],
      {},
      {
        error:
          'the inferlet trapped: inferlet:core/common.allocate-resources: 64 more KV pages would make 4160, over the limit of 4096 KV pages held (--max-kv-pages)',
      },
    ],
    [
      'huge-message',
      () => ['2'],
      {},
      {
        error:
          'the inferlet trapped: inferlet:core/message.send: a message of 2097152 bytes is over the limit of 1024 KiB per message, broadcast or key-value entry (--max-message-kb)',
      },
    ],
    [
      'huge-blob',
      () => ['2'],
      {},
      {
        error:
          'the inferlet trapped: inferlet:core/common.[constructor]blob: a blob of 2097152 bytes is over the limit of 1 MiB per blob (--max-blob-mb)',
      },
    ],
    [
      'flood',
      () => [],
      {},
      {
        // Each 1 MiB blob counts when made and when sent: the fifth is refused.
        error:
          'the inferlet trapped: inferlet:core/common.[constructor]blob: 1048576 more bytes would make 9437184 that the inferlet has sent, broadcast, stored or put in blobs, over the limit of 8 MiB sent, broadcast, stored or put in blobs (--max-output-mb)',
      },
    ],
    [
      'forged-pointer',
      () => [],
      {},
      {
        error:
          'the inferlet trapped: inferlet:core/common.deallocate-resources: pointer 4242424 is not a resource this host handed out',
      },
    ],
    [
      'foreign-pages',
      () => [JSON.stringify(shared.pages), String(shared.next)],
      {},
      {
        error:
          /^the inferlet trapped: inferlet:core\/forward\.kv-cache: pointer \d+ is a KV page of instance [0-9a-f-]{36}, not of this instance \(import it through an export\)$/,
      },
    ],
    [
      'free-twice',
      () => [],
      {},
      {
        error:
          /^the inferlet trapped: inferlet:core\/common\.deallocate-resources: pointer \d+ \(KV page\) was already freed$/,
      },
    ],
    ['drop-twice', () => [], {}, { error: staleHandle }],
    ['forged-handle', () => [], {}, { error: staleHandle }],
    [
      'never-settles',
      () => [],
      {},
      {
        error:
          'the inferlet trapped: run returned a promise that never settles: nothing is left that could settle it',
      },
    ],
  ];

  it.each(behaviours)(
    '%s is contained, and the neighbour keeps its pages',
    async (behaviour, args, limits, expected) => {
      const outcome = await attempt(host, [behaviour, ...args()], limits);
      if ('ok' in expected) expect(outcome).toEqual({ ok: true, returnValue: expected.value });
      else if (typeof expected.error === 'string')
        expect(outcome).toMatchObject({ ok: false, error: expected.error });
      else expect(outcome).toMatchObject({ ok: false, error: expect.stringMatching(expected.error) });
      expect(host.stats()).toEqual({ [neighbour.id]: { kvPages: 2, embeddings: 0, adapters: 0 } });
      expect(await server.reached()).toEqual({ connections: 0, requests: 0 });
    },
  );

  it('leaves the neighbour pages that read as before, by the name they were exported under', async () => {
    const reader = host.createInstance({ args: ['import-pages', 'shared', String(shared.next)] });
    const after = await runInferlet(hostile, reader);
    const control = createHost();
    const exporter = control.createInstance({ args: ['export-pages', 'shared'] });
    expect(await runInferlet(hostile, exporter)).toMatchObject({ ok: true });
    const before = await runInferlet(
      hostile,
      control.createInstance({ args: ['import-pages', 'shared', String(shared.next)] }),
    );
    expect(after).toEqual(before);
    expect(after.ok).toBe(true);
  });
});

describe('a hostile inferlet with the network allowed', () => {
  it('reaches the server with --allow-net: TCP, a name lookup and HTTP', async () => {
    const host = createHost({ allowNet: true });
    const before = await server.reached();
    expect(await attempt(host, ['tcp', String(server.port)])).toEqual({
      ok: true,
      returnValue: 'HTTP/1.1 200 OK',
    });
    expect(await attempt(host, ['http', `http://127.0.0.1:${server.port}/hostile`])).toEqual({
      ok: true,
      returnValue: `200 counted ${before.requests + 2}`,
    });
    const lookup = await attempt(host, ['lookup', 'localhost']);
    expect(lookup.ok && (JSON.parse(lookup.returnValue ?? '') as string[])).toContain('127.0.0.1');
    expect(await server.reached()).toEqual({
      connections: before.connections + 2,
      requests: before.requests + 2,
    });
  });

  it('reaches only the hosts of --allow-net=…', async () => {
    const before = await server.reached();
    const listed = createHost({ allowNet: [`127.0.0.1:${server.port}`, 'localhost'] });
    expect(await attempt(listed, ['tcp', String(server.port)])).toMatchObject({ ok: true });
    expect(await attempt(listed, ['http', `http://127.0.0.1:${server.port}/`])).toMatchObject({ ok: true });
    expect(await attempt(listed, ['lookup', 'localhost'])).toMatchObject({ ok: true });
    const other = createHost({ allowNet: ['example.com'] });
    expect(await attempt(other, ['tcp', String(server.port)])).toEqual({
      ok: false,
      error: `the inferlet trapped: wasi:sockets/tcp.tcp-socket.start-connect: 127.0.0.1:${server.port} is not among the hosts the user allowed (--allow-net=example.com)`,
      trapped: true,
    });
    expect(await attempt(other, ['http', `http://127.0.0.1:${server.port}/`])).toEqual({
      ok: false,
      error: `the inferlet trapped: wasi:http/outgoing-handler.handle: a request to 127.0.0.1:${server.port} is not among the hosts the user allowed (--allow-net=example.com)`,
      trapped: true,
    });
    expect(await attempt(other, ['lookup', 'localhost'])).toEqual({
      ok: false,
      error:
        'the inferlet trapped: wasi:sockets/ip-name-lookup.resolve-addresses: "localhost" is not among the hosts the user allowed (--allow-net=example.com)',
      trapped: true,
    });
    expect(await server.reached()).toEqual({
      connections: before.connections + 2,
      requests: before.requests + 2,
    });
  });
});
