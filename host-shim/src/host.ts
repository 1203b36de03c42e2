import type * as Adapter from 'inferlet:adapter/common';
import type * as Common from 'inferlet:core/common';
import type * as Forward from 'inferlet:core/forward';
import type * as Kvs from 'inferlet:core/kvs';
import type * as Message from 'inferlet:core/message';
import type * as Runtime from 'inferlet:core/runtime';
import type * as Tokenize from 'inferlet:core/tokenize';
import type * as Evolve from 'inferlet:zo/evolve';
import { randomUUID } from 'node:crypto';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import type { ExportOf } from '@inferlib/support';
import { createAdapterCommon } from './adapter/common.ts';
import { builtinModel } from './builtin-model.ts';
import { type ConsoleSink, createGuestConsole, type GuestConsole, processConsole } from './console.ts';
import { createCommon } from './core/common.ts';
import { createForward } from './core/forward.ts';
import { createKvs } from './core/kvs.ts';
import { createMessage } from './core/message.ts';
import { createRuntime } from './core/runtime.ts';
import { createTokenize } from './core/tokenize.ts';
import type { HostState, InstanceState, PassTime, SentItem } from './instance.ts';
import { type Limits, resolveLimits } from './limits.ts';
import { type ModelSpec, type ServedModel, serveModels } from './models.ts';
import { type NetworkAccess, networkGuard } from './network.ts';
import { hostPoll } from './pollable.ts';
import { ResourceRegistry, type ResourceStats, resourceStats } from './resources.ts';
import { SeededRandom } from './sampling.ts';
import { createZoEvolve } from './zo/evolve.ts';

export interface HostOptions {
  /** What `runtime.get-version` answers. */
  readonly version?: string;
  /** The served models, the first being the default; the built-in `qwen3-reference` when absent. */
  readonly models?: readonly ModelSpec[];
  /** Seed of the samplers; instance n samples from seed + n. */
  readonly seed?: number;
  /** Simulated device time of a forward pass, in milliseconds (0 by default). */
  readonly forwardLatencyMs?: number;
  /** Where guests' stdout and stderr go; this process's own streams by default. */
  readonly console?: ConsoleSink;
  /** What each instance may take (time, memory, resources, bytes); `defaultLimits` for those not given. */
  readonly limits?: Partial<Limits>;
  /**
   * The network instances get through WASI (sockets, outgoing HTTP): none by default, every host with `true`,
   * or a list of hosts (`example.com`, `127.0.0.1:8080`), as `inferlib run --allow-net[=…]`.
   */
  readonly allowNet?: NetworkAccess;
}

export interface InstanceOptions {
  /** The client's arguments (no program name). */
  readonly args?: readonly string[];
  /** Defaults to a fresh UUID, as the Pie runtime gives. */
  readonly id?: string;
  /** Called with each message or blob the inferlet sends, as it sends it (a client sees a stream). */
  readonly onSend?: (item: SentItem) => void;
  /** Limits of this instance in place of the host's. */
  readonly limits?: Partial<Limits>;
}

/** Interface name (unversioned, as jco's instantiation mode keys them) to implementation. */
export type ImportObject = Record<string, object>;

/**
 * The host ABI, each interface typed by its generated guest types: a host function renamed or re-typed
 * here, or missing, fails the typecheck.
 */
export interface HostImports {
  /** preview2-shim's own, whose types are its own too. */
  readonly 'wasi:io/poll': typeof hostPoll;
  readonly 'inferlet:core/common': ExportOf<typeof Common>;
  readonly 'inferlet:core/runtime': ExportOf<typeof Runtime>;
  readonly 'inferlet:core/forward': ExportOf<typeof Forward>;
  readonly 'inferlet:core/tokenize': ExportOf<typeof Tokenize>;
  readonly 'inferlet:core/kvs': ExportOf<typeof Kvs>;
  readonly 'inferlet:core/message': ExportOf<typeof Message>;
  readonly 'inferlet:adapter/common': ExportOf<typeof Adapter>;
  readonly 'inferlet:zo/evolve': ExportOf<typeof Evolve>;
}

/** One inferlet instance: its import object, and the remote client's side of it. */
export interface Instance {
  readonly id: string;
  readonly args: readonly string[];
  /** Everything the transpiled component imports: the host ABI and a sandboxed WASI. */
  readonly imports: ImportObject;
  /** The value of the last `set-return`, if any. */
  readonly returnValue: string | undefined;
  /** What the inferlet sent to the client, in order. */
  readonly sent: readonly SentItem[];
  /** As the client: a message for the inferlet's `receive`. */
  pushMessage(text: string): void;
  /** As the client: a blob for the inferlet's `receive-blob`. */
  pushBlob(bytes: Uint8Array): void;
  /** The resources the instance holds now. */
  stats(): ResourceStats;
  /** Its guests' stdout and stderr, and the message of the last error they printed. */
  readonly console: GuestConsole;
  /** What it may take: its host's limits, or its own where it was given some. */
  readonly limits: Limits;
  /** Ends the instance as the runtime does when an inferlet finishes: frees every resource it holds. */
  end(): void;
}

export interface Host {
  readonly version: string;
  readonly models: readonly ServedModel[];
  /** The `inferlet:core/kvs` store, shared by every instance. */
  readonly store: Map<string, string>;
  /** A new inferlet instance with its own import object. */
  createInstance(options?: InstanceOptions): Instance;
  /** Live resources of every instance that has not ended, by instance id. */
  stats(): Record<string, ResourceStats>;
  /** The host's own compute time of every forward pass so far, in order (simulated latency excluded). */
  readonly passTimes: readonly PassTime[];
  /** Adapter weights that `inferlet:adapter/common.download-adapter` saved, by name. */
  readonly adapterCheckpoints: ReadonlyMap<string, Uint8Array>;
  /** What each instance may take unless it is given limits of its own. */
  readonly limits: Limits;
}

export const defaultHostVersion = 'inferlib-host-shim 0.1.0';

/** The host ABI of one instance, keyed by interface name. */
function hostImports(host: HostState, instance: InstanceState): HostImports {
  const common = createCommon(host, instance);
  const forward = createForward(host, instance, common);
  return {
    'wasi:io/poll': hostPoll,
    'inferlet:core/common': common,
    'inferlet:core/runtime': createRuntime(host, instance, common),
    'inferlet:core/forward': forward,
    'inferlet:core/tokenize': createTokenize(common),
    'inferlet:core/kvs': createKvs(host, common),
    'inferlet:core/message': createMessage(host, instance, common),
    'inferlet:adapter/common': createAdapterCommon(host, instance, common, forward),
    'inferlet:zo/evolve': createZoEvolve(common, forward),
  };
}

export function createHost(options: HostOptions = {}): Host {
  const forwardLatencyMs = options.forwardLatencyMs ?? 0;
  if (!(forwardLatencyMs >= 0))
    throw new Error(`createHost: forwardLatencyMs ${forwardLatencyMs} must be ≥ 0`);
  const state: HostState = {
    version: options.version ?? defaultHostVersion,
    models: serveModels(options.models ?? [builtinModel]),
    store: new Map(),
    resources: new ResourceRegistry(),
    topics: new Map(),
    forwardLatencyMs,
    passTimes: [],
    adapterCheckpoints: new Map(),
  };
  const hostLimits = resolveLimits(options.limits);
  const guardNetwork = networkGuard(options.allowNet ?? false);
  const seed = options.seed ?? 0;
  const live = new Map<string, InstanceState>();
  let created = 0;
  return {
    version: state.version,
    models: state.models,
    store: state.store,
    passTimes: state.passTimes,
    adapterCheckpoints: state.adapterCheckpoints,
    limits: hostLimits,
    stats: () =>
      Object.fromEntries([...live].map(([id, instance]) => [id, resourceStats(instance.resources)])),
    createInstance(instanceOptions = {}) {
      const id = instanceOptions.id ?? randomUUID();
      if (live.has(id))
        throw new Error(`createInstance: an instance with id ${JSON.stringify(id)} is running`);
      const limits =
        instanceOptions.limits === undefined
          ? hostLimits
          : resolveLimits({ ...hostLimits, ...instanceOptions.limits });
      const instance: InstanceState = {
        id,
        limits,
        args: [...(instanceOptions.args ?? [])],
        returnValue: undefined,
        resources: new Map(),
        random: new SeededRandom(seed + created++),
        inbox: [],
        blobInbox: [],
        sent: [],
        onSend: instanceOptions.onSend,
        unconfirmedPasses: new Map(),
        outputBytes: 0,
      };
      live.set(id, instance);
      // An inferlet sees no file system, environment or arguments through WASI (all comes from the host ABI),
      // and no network unless the user allows it (network.ts).
      const wasi = new WASIShim({
        sandbox: { preopens: {}, env: {}, args: [] },
      }).getImportObject() as ImportObject;
      const guestConsole = createGuestConsole(options.console ?? processConsole);
      const imports = {
        ...wasi,
        // preview2-shim answers with this process's working directory; Pie's engine gives none.
        'wasi:cli/environment': { ...wasi['wasi:cli/environment'], initialCwd: () => undefined },
        ...guardNetwork(wasi),
        ...guestConsole.imports,
        ...hostImports(state, instance),
      };
      return {
        id,
        args: instance.args,
        imports,
        get returnValue() {
          return instance.returnValue;
        },
        sent: instance.sent,
        pushMessage: (text) => {
          instance.inbox.push(text);
        },
        pushBlob: (bytes) => {
          instance.blobInbox.push(Uint8Array.from(bytes));
        },
        stats: () => resourceStats(instance.resources),
        console: guestConsole,
        limits,
        end: () => {
          state.resources.releaseAll(instance);
          live.delete(id);
        },
      };
    },
  };
}
