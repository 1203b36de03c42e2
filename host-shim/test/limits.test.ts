/**
 * What an instance may take from the host (time, linear memory, resources, bytes) and the network it gets:
 * each limit refused at the call with a message naming it and its option. The same through a real component,
 * a hostile one: test/hostile.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createHost, type LoadedComponent, runInferlet } from '../src/index.ts';
import { limitsFromOptions } from '../src/limits.ts';
import { capMemories } from '../src/memory-limit.ts';
import { guestOf, newGuest } from './fixture.ts';

const mebibyte = 2 ** 20;

describe('limits', () => {
  it('default to what `inferlib run --help` says, and an instance may have its own', () => {
    const host = createHost({ limits: { kvPages: 8 } });
    expect(host.limits).toEqual({
      timeoutMs: 60_000,
      memoryBytes: 512 * mebibyte,
      kvPages: 8,
      embeddings: 4096,
      adapters: 64,
      messageBytes: mebibyte,
      blobBytes: 64 * mebibyte,
      outputBytes: 256 * mebibyte,
    });
    expect(host.createInstance({ limits: { embeddings: 2 } }).limits).toMatchObject({
      kvPages: 8,
      embeddings: 2,
    });
  });

  it('are checked where they are given: createHost and the options of inferlib run', () => {
    expect(() => createHost({ limits: { memoryBytes: 1000 } })).toThrow(
      'createHost: limits.memoryBytes 1000: expected a multiple of 65536 (64 KiB)',
    );
    expect(() => createHost({ limits: { kvPages: 0 } })).toThrow(
      'createHost: limits.kvPages 0: expected a whole number ≥ 1',
    );
    expect(limitsFromOptions({ timeout: '0', 'max-memory-mb': '64', 'max-message-kb': '2' })).toEqual({
      timeoutMs: 0,
      memoryBytes: 64 * mebibyte,
      messageBytes: 2048,
    });
    expect(() => limitsFromOptions({ 'max-kv-pages': '1.5' })).toThrow(
      '--max-kv-pages 1.5: expected a whole number ≥ 1',
    );
    expect(() => limitsFromOptions({ 'max-memory-mb': '5000' })).toThrow(
      '--max-memory-mb 5000: expected at most 4096',
    );
    expect(() => limitsFromOptions({ timeout: '' })).toThrow('--timeout : expected a whole number ≥ 0');
  });
});

describe('resource limits', () => {
  it('refuse allocating past the KV pages, embeddings and adapters an instance may hold, counting what it holds now', () => {
    const { common, queue, instance } = newGuest({ limits: { kvPages: 3, embeddings: 2, adapters: 1 } });
    const pages = common.allocateResources(queue, 0, 3);
    expect(() => common.allocateResources(queue, 0, 1)).toThrow(
      'inferlet:core/common.allocate-resources: 1 more KV pages would make 4, over the limit of 3 KV pages held (--max-kv-pages)',
    );
    common.deallocateResources(queue, 0, pages.subarray(0, 1));
    common.allocateResources(queue, 0, 1);
    common.allocateResources(queue, 1, 2);
    expect(() => common.allocateResources(queue, 1, 1)).toThrow(
      'over the limit of 2 embeddings held (--max-embeddings)',
    );
    expect(() => common.allocateResources(queue, 2, 2)).toThrow(
      'inferlet:core/common.allocate-resources: 2 more adapters would make 2, over the limit of 1 adapters held (--max-adapters)',
    );
    // A refused call takes nothing, and a call of four billion is refused before the host makes any.
    expect(() => common.allocateResources(queue, 0, 2 ** 32 - 1)).toThrow(
      'over the limit of 3 KV pages held',
    );
    expect(instance.stats()).toEqual({ kvPages: 3, embeddings: 2, adapters: 0 });
  });

  it('count imported pages too, and refuse an import that would go past the limit', () => {
    const host = createHost();
    const owner = guestOf(host.createInstance());
    owner.common.exportResources(owner.queue, 0, owner.common.allocateResources(owner.queue, 0, 3), 'three');
    const importer = guestOf(host.createInstance({ limits: { kvPages: 2 } }));
    expect(() => importer.common.importResources(importer.queue, 0, 'three')).toThrow(
      'inferlet:core/common.import-resources: 3 more KV pages would make 3, over the limit of 2 KV pages held (--max-kv-pages)',
    );
    expect(importer.instance.stats().kvPages).toBe(0);
    expect(owner.instance.stats().kvPages).toBe(3);
  });
});

describe('byte limits', () => {
  it('refuse a message, broadcast, key-value entry or blob over its limit', () => {
    const { common, message, instance } = newGuest({ limits: { messageBytes: 8, blobBytes: 4 } });
    const kvs = instance.imports['inferlet:core/kvs'] as { storeSet(key: string, value: string): void };
    message.send('éééé'); // 8 bytes of UTF-8
    expect(() => message.send('ééééé')).toThrow(
      'inferlet:core/message.send: a message of 10 bytes is over the limit of 8 bytes per message, broadcast or key-value entry (--max-message-kb)',
    );
    expect(() => message.broadcast('topic', 'abcd')).toThrow(
      'inferlet:core/message.broadcast: a broadcast of 9 bytes',
    );
    expect(() => kvs.storeSet('keys', 'value')).toThrow(
      'inferlet:core/kvs.store-set: a key-value entry of 9 bytes',
    );
    expect(() => new common.Blob(new Uint8Array(5))).toThrow(
      'inferlet:core/common.[constructor]blob: a blob of 5 bytes is over the limit of 4 bytes per blob (--max-blob-mb)',
    );
    expect(instance.sent).toEqual([{ kind: 'message', text: 'éééé' }]);
  });

  it('count everything an instance hands the host against its output limit, and not what the client sends', () => {
    const { common, message, instance } = newGuest({ limits: { outputBytes: 10 } });
    const kvs = instance.imports['inferlet:core/kvs'] as { storeSet(key: string, value: string): void };
    instance.pushBlob(new Uint8Array(100));
    expect(message.receiveBlob().get()?.size()).toBe(100n);
    message.send('abc');
    kvs.storeSet('k', 'v');
    const blob = new common.Blob(new Uint8Array(2)); // 7 bytes so far
    message.sendBlob(blob); // 9
    expect(() => message.send('ab')).toThrow(
      'inferlet:core/message.send: 2 more bytes would make 11 that the inferlet has sent, broadcast, stored or put in blobs, over the limit of 10 bytes sent, broadcast, stored or put in blobs (--max-output-mb)',
    );
    message.broadcast('', 'a');
    expect(() => message.broadcast('', 'a')).toThrow(
      'inferlet:core/message.broadcast: 1 more bytes would make 11',
    );
  });
});

describe('the network', () => {
  const socketsOf = (options: Parameters<typeof createHost>[0]) => {
    const { imports } = createHost(options).createInstance();
    return {
      network: imports['wasi:sockets/instance-network'] as { instanceNetwork(): unknown },
      tcp: imports['wasi:sockets/tcp-create-socket'] as {
        createTcpSocket(family: string): {
          startConnect(network: unknown, address: object): void;
          startListen(): void;
        };
      },
      udp: imports['wasi:sockets/udp-create-socket'] as {
        createUdpSocket(family: string): { startBind(network: unknown, address: object): void };
      },
      lookup: imports['wasi:sockets/ip-name-lookup'] as {
        resolveAddresses(network: unknown, name: string): unknown;
      },
      http: imports['wasi:http/outgoing-handler'] as { handle(request: unknown, options: unknown): unknown },
      types: imports['wasi:http/types'] as {
        Fields: new () => unknown;
        OutgoingRequest: new (fields: unknown) => { setAuthority(authority: string): void };
      },
    };
  };
  const request = (types: ReturnType<typeof socketsOf>['types'], authority: string) => {
    const outgoing = new types.OutgoingRequest(new types.Fields());
    outgoing.setAuthority(authority);
    return outgoing;
  };

  it('is off unless allowed: no network for sockets, no outgoing HTTP, each refusal naming the call and the option', () => {
    const off = socketsOf({});
    expect(() => off.network.instanceNetwork()).toThrow(
      'wasi:sockets/instance-network.instance-network: the network is refused: inferlets get no network unless the user allows it; run with --allow-net (every host) or --allow-net=<host>[:<port>],…',
    );
    expect(() => off.http.handle(request(off.types, 'example.com'), undefined)).toThrow(
      'wasi:http/outgoing-handler.handle: a request to example.com:80 is refused: inferlets get no network',
    );
    expect(socketsOf({ allowNet: true }).network.instanceNetwork()).toBeDefined();
  });

  it('with a host list, connects only to those hosts (addresses normalized), and listens and sends UDP on none', () => {
    const listed = socketsOf({ allowNet: ['[0:0::1]:81', 'Example.com'] });
    const network = listed.network.instanceNetwork();
    const socket = listed.tcp.createTcpSocket('ipv6');
    const loopback = { port: 80, flowInfo: 0, address: [0, 0, 0, 0, 0, 0, 0, 1], scopeId: 0 };
    expect(() => socket.startConnect(network, { tag: 'ipv6', val: loopback })).toThrow(
      'wasi:sockets/tcp.tcp-socket.start-connect: [::1]:80 is not among the hosts the user allowed (--allow-net=[0:0::1]:81,Example.com)',
    );
    expect(() => socket.startListen()).toThrow(
      'wasi:sockets/tcp.tcp-socket.start-listen: listening for connections needs --allow-net without a host list',
    );
    expect(() => listed.udp.createUdpSocket('ipv4').startBind(network, {})).toThrow(
      'wasi:sockets/udp.udp-socket.start-bind: UDP needs --allow-net without a host list',
    );
    expect(() => listed.lookup.resolveAddresses(network, 'localhost')).toThrow(
      'wasi:sockets/ip-name-lookup.resolve-addresses: "localhost" is not among the hosts',
    );
    expect(() => listed.http.handle(request(listed.types, 'example.org:8080'), undefined)).toThrow(
      'wasi:http/outgoing-handler.handle: a request to example.org:8080 is not among the hosts',
    );
    expect(() => createHost({ allowNet: ['a b'] })).toThrow(
      '--allow-net: "a b" is no host name or IP address',
    );
    expect(() => createHost({ allowNet: ['example.com:70000'] })).toThrow(
      '--allow-net: example.com:70000: port 70000 is over 65535',
    );
  });
});

/** A core module with one memory of `initial` pages and an export growing it: `(func (param i32) (result i32) memory.grow)`. */
function growableModule(initial: number): Uint8Array<ArrayBuffer> {
  // biome-ignore format: the module's sections, one per line
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: (i32) -> i32
    0x03, 0x02, 0x01, 0x00, // function 0 of type 0
    0x05, 0x03, 0x01, 0x00, initial, // memory: no maximum
    0x07, 0x08, 0x01, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x00, // export "grow"
    0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b, // local.get 0; memory.grow 0
  ]);
}

describe('the memory limit', () => {
  it('caps each memory a module defines: growing past it fails as it does at 4 GiB', async () => {
    const capped = capMemories(growableModule(1), 3, 'test.wasm');
    const { instance } = await WebAssembly.instantiate(capped);
    const grow = instance.exports.grow as (pages: number) => number;
    expect(grow(2)).toBe(1);
    expect(grow(1)).toBe(-1);
    const uncapped = (await WebAssembly.instantiate(growableModule(1))).instance.exports.grow as (
      pages: number,
    ) => number;
    expect(uncapped(3)).toBe(1);
  });

  it('refuses a memory that starts above the cap, and leaves a module without memory as it is', () => {
    expect(() => capMemories(growableModule(40), 32, 'test.wasm')).toThrow(
      "the inferlet's linear memory starts at 2.5 MiB, more than the 2 MiB it may grow to (--max-memory-mb)",
    );
    const noMemory = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expect(capMemories(noMemory, 1, 'empty.wasm')).toBe(noMemory);
  });
});

describe('the time limit', () => {
  /** A component whose `run` is `body`. */
  const component = (body: () => unknown): LoadedComponent => ({
    dir: '',
    imports: [],
    exports: ['inferlet:core/run'],
    instantiate: async () => ({ 'inferlet:core/run': { run: body } }),
  });
  const stopped = 'the inferlet was stopped after 0.2 s: the limit of 0.2 s per run (--timeout)';

  it('stops a run that computes for ever, and one whose promise never settles', async () => {
    const host = createHost({ limits: { timeoutMs: 200 } });
    const spin = component(() => {
      for (;;) {
        // Spins until the watchdog ends it.
      }
    });
    expect(await runInferlet(spin, host.createInstance())).toEqual({
      ok: false,
      error: stopped,
      trapped: true,
    });
    const pending = component(() => new Promise(() => {}));
    expect(await runInferlet(pending, host.createInstance())).toEqual({
      ok: false,
      error: "run's promise had not settled after 0.2 s: the limit of 0.2 s per run (--timeout)",
      trapped: true,
    });
    const quick = component(() => undefined);
    expect(await runInferlet(quick, host.createInstance())).toEqual({ ok: true, returnValue: undefined });
    expect(await runInferlet(quick, createHost({ limits: { timeoutMs: 0 } }).createInstance())).toMatchObject(
      { ok: true },
    );
  });
});
