import { randomUUID } from 'node:crypto';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { createAdapterCommon } from './adapter/common.ts';
import { createCommon } from './core/common.ts';
import { createForward } from './core/forward.ts';
import { createKvs } from './core/kvs.ts';
import { createMessage } from './core/message.ts';
import { createRuntime } from './core/runtime.ts';
import { createTokenize } from './core/tokenize.ts';
import type { HostState, InstanceState } from './instance.ts';
import { type ModelSpec, type ServedModel, serveModels } from './models.ts';
import { createZoEvolve } from './zo/evolve.ts';

export interface HostOptions {
  /** What `runtime.get-version` answers. */
  readonly version?: string;
  /** The served models, the first being the default. */
  readonly models?: readonly ModelSpec[];
}

export interface InstanceOptions {
  /** The client's arguments (no program name). */
  readonly args?: readonly string[];
  /** Defaults to a fresh UUID, as the Pie runtime gives. */
  readonly id?: string;
}

/** Interface name (unversioned, as jco's instantiation mode keys them) to implementation. */
export type ImportObject = Record<string, object>;

/** One inferlet instance: its import object and what it left behind. */
export interface Instance {
  readonly id: string;
  readonly args: readonly string[];
  /** Everything the transpiled component imports: the host ABI and WASI. */
  readonly imports: ImportObject;
  /** The value of the last `set-return`, if any. */
  readonly returnValue: string | undefined;
}

export interface Host {
  readonly version: string;
  readonly models: readonly ServedModel[];
  /** The `inferlet:core/kvs` store, shared by every instance. */
  readonly store: Map<string, string>;
  /** A new inferlet instance with its own import object. */
  createInstance(options?: InstanceOptions): Instance;
}

export const defaultHostVersion = 'inferlib-host-shim 0.1.0';

/** The host ABI of one instance, keyed by interface name. */
function hostImports(host: HostState, instance: InstanceState): ImportObject {
  const common = createCommon(instance);
  return {
    'inferlet:core/common': common,
    'inferlet:core/runtime': createRuntime(host, instance, common),
    'inferlet:core/forward': createForward(),
    'inferlet:core/tokenize': createTokenize(),
    'inferlet:core/kvs': createKvs(host),
    'inferlet:core/message': createMessage(),
    'inferlet:adapter/common': createAdapterCommon(),
    'inferlet:zo/evolve': createZoEvolve(),
  };
}

export function createHost(options: HostOptions = {}): Host {
  const state: HostState = {
    version: options.version ?? defaultHostVersion,
    models: serveModels(options.models ?? []),
    store: new Map(),
  };
  return {
    ...state,
    createInstance(instanceOptions = {}) {
      const instance: InstanceState = {
        id: instanceOptions.id ?? randomUUID(),
        args: [...(instanceOptions.args ?? [])],
        returnValue: undefined,
      };
      // An inferlet sees no file system, environment or arguments through WASI: all comes from the host ABI.
      const wasi = new WASIShim({ sandbox: { preopens: {}, env: {}, args: [] } }).getImportObject();
      const imports = { ...(wasi as ImportObject), ...hostImports(state, instance) };
      return {
        id: instance.id,
        args: instance.args,
        imports,
        get returnValue() {
          return instance.returnValue;
        },
      };
    },
  };
}
