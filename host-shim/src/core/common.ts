import type * as Common from 'inferlet:core/common';
import type { HostState, InstanceState } from '../instance.ts';
import { describeLimit } from '../limits.ts';
import type { ServedModel } from '../models.ts';
import { HostPollable, readyPollable } from '../pollable.ts';
import { type Admit, resourceStats, resourceTypeNames } from '../resources.ts';

/** The limit on each resource type an instance holds, by type number. */
const resourceLimits = ['kvPages', 'embeddings', 'adapters'] as const;

const iface = 'inferlet:core/common';

/** A queue's host-side state: its model and when the last command it was given finishes. */
export interface QueueState {
  readonly model: ServedModel;
  busyUntil: number;
  priority: Common.Priority;
}

/** `inferlet:core/common` for one inferlet instance. */
export function createCommon(host: HostState, instance: InstanceState) {
  /** Counts `bytes` the inferlet hands the host to keep against its output limit, refusing them over it. */
  const takeOutput = (call: string, bytes: number): void => {
    const total = instance.outputBytes + bytes;
    if (total > instance.limits.outputBytes) {
      throw new Error(
        `${call}: ${bytes} more bytes would make ${total} that the inferlet has sent, broadcast, stored or put in blobs, over ${describeLimit('outputBytes', instance.limits)}`,
      );
    }
    instance.outputBytes += bytes;
  };

  /** Checks one message, broadcast or key-value entry against the limit on each, and counts it as output. */
  const takeMessage = (call: string, what: string, text: string): void => {
    const bytes = Buffer.byteLength(text);
    if (bytes > instance.limits.messageBytes) {
      throw new Error(
        `${call}: ${what} of ${bytes} bytes is over ${describeLimit('messageBytes', instance.limits)}`,
      );
    }
    takeOutput(call, bytes);
  };

  const admit: Admit = (call, type, count) => {
    const limit = resourceLimits[type];
    const held = resourceStats(instance.resources)[limit];
    if (held + count > instance.limits[limit]) {
      throw new Error(
        `${call}: ${count} more ${resourceTypeNames[type]}s would make ${held + count}, over ${describeLimit(limit, instance.limits)}`,
      );
    }
  };

  class Blob implements Common.Blob {
    readonly bytes: Uint8Array;

    /** `fromClient`: a blob the client sent, which is not the inferlet's to count. */
    constructor(init: Uint8Array, fromClient = false) {
      if (!fromClient) {
        const call = `${iface}.[constructor]blob`;
        if (init.length > instance.limits.blobBytes) {
          throw new Error(
            `${call}: a blob of ${init.length} bytes is over ${describeLimit('blobBytes', instance.limits)}`,
          );
        }
        takeOutput(call, init.length);
      }
      this.bytes = Uint8Array.from(init);
    }
    read(offset: bigint, n: bigint): Uint8Array {
      if (offset > BigInt(this.bytes.length)) {
        throw new Error(
          `${iface}.blob.read: offset ${offset} is past the end of a ${this.bytes.length}-byte blob`,
        );
      }
      const available = BigInt(this.bytes.length) - offset;
      const count = n < available ? n : available;
      return this.bytes.slice(Number(offset), Number(offset + count));
    }
    size(): bigint {
      return BigInt(this.bytes.length);
    }
    [Symbol.dispose](): void {}
  }

  /** A blob that arrives when `take` has one: from the client, or at once for a host-made blob. */
  class BlobResult implements Common.BlobResult {
    #blob: Blob | undefined;
    readonly #take: () => Uint8Array | undefined;
    readonly #waitingFor: string;

    constructor(take: () => Uint8Array | undefined, waitingFor: string) {
      this.#take = take;
      this.#waitingFor = waitingFor;
    }
    #poll(): Blob | undefined {
      if (this.#blob === undefined) {
        const bytes = this.#take();
        if (bytes !== undefined) this.#blob = new Blob(bytes, true);
      }
      return this.#blob;
    }
    pollable(): Common.Pollable {
      return new HostPollable(0, () => this.#poll() !== undefined, this.#waitingFor);
    }
    get(): Blob | undefined {
      return this.#poll();
    }
    [Symbol.dispose](): void {}
  }

  class Model implements Common.Model {
    readonly served: ServedModel;

    /** Made by the host only (`runtime.get-model`); the guest cannot construct a model. */
    constructor(served: ServedModel) {
      this.served = served;
    }
    getName(): string {
      return this.served.name;
    }
    getTraits(): string[] {
      return [...this.served.traits];
    }
    getDescription(): string {
      return this.served.description;
    }
    getPromptTemplate(): string {
      return this.served.promptTemplate;
    }
    getStopTokens(): string[] {
      return [...this.served.stopTokens];
    }
    getServiceId(): number {
      return this.served.serviceId;
    }
    getKvPageSize(): number {
      return this.served.kvPageSize;
    }
    createQueue(): Queue {
      return new Queue({ model: this.served, busyUntil: 0, priority: 'normal' });
    }
    [Symbol.dispose](): void {}
  }

  class Queue implements Common.Queue {
    readonly state: QueueState;

    constructor(state: QueueState) {
      this.state = state;
    }
    getServiceId(): number {
      return this.state.model.serviceId;
    }
    synchronize(): SynchronizationResult {
      return new SynchronizationResult(this.state.busyUntil);
    }
    setPriority(priority: Common.Priority): void {
      if (priority !== 'low' && priority !== 'normal' && priority !== 'high') {
        throw new Error(`${iface}.queue.set-priority: unknown priority ${JSON.stringify(priority)}`);
      }
      this.state.priority = priority;
    }
    debugQuery(query: string): DebugQueryResult {
      return new DebugQueryResult(answerQueueQuery(this.state, query));
    }
    [Symbol.dispose](): void {}
  }

  class SynchronizationResult implements Common.SynchronizationResult {
    readonly #readyAt: number;

    constructor(readyAt: number) {
      this.#readyAt = readyAt;
    }
    pollable(): Common.Pollable {
      return new HostPollable(this.#readyAt);
    }
    get(): boolean | undefined {
      return performance.now() >= this.#readyAt ? true : undefined;
    }
    [Symbol.dispose](): void {}
  }

  class DebugQueryResult implements Common.DebugQueryResult {
    readonly #answer: string;

    constructor(answer: string) {
      this.#answer = answer;
    }
    pollable(): Common.Pollable {
      return readyPollable();
    }
    get(): string {
      return this.#answer;
    }
    [Symbol.dispose](): void {}
  }

  /** `call` is the full name of the host function, for errors. */
  const queueState = (call: string, queue: Common.Queue): QueueState => {
    if (!(queue instanceof Queue)) throw new Error(`${call}: the queue is not one this host made`);
    return queue.state;
  };
  const call = (name: string) => `${iface}.${name}`;

  return {
    Blob,
    BlobResult,
    Model,
    Queue,
    SynchronizationResult,
    DebugQueryResult,
    /** The host-side state of a queue handed back by the guest (for the other host modules). */
    queueState,
    /** Limits on what the inferlet hands the host to keep (for the other host modules). */
    takeOutput,
    takeMessage,
    /** The resource `pointer` names for the model of `queue` (for the other host modules). */
    resolveOnQueue: <T extends 0 | 1 | 2>(call: string, queue: Common.Queue, type: T, pointer: number) =>
      host.resources.resolve(call, instance, queueState(call, queue).model, type, pointer),
    allocateResources(queue: Common.Queue, resourceType: number, count: number): Uint32Array {
      const { model } = queueState(call('allocate-resources'), queue);
      return Uint32Array.from(
        host.resources.allocate(call('allocate-resources'), instance, model, resourceType, count, admit),
      );
    },
    deallocateResources(queue: Common.Queue, resourceType: number, ptrs: Uint32Array): void {
      const { model } = queueState(call('deallocate-resources'), queue);
      host.resources.deallocate(call('deallocate-resources'), instance, model, resourceType, [...ptrs]);
    },
    getAllExportedResources(queue: Common.Queue, resourceType: number): [string, number][] {
      const { model } = queueState(call('get-all-exported-resources'), queue);
      return host.resources.exportsOf(call('get-all-exported-resources'), model, resourceType);
    },
    releaseExportedResources(queue: Common.Queue, resourceType: number, name: string): void {
      const { model } = queueState(call('release-exported-resources'), queue);
      host.resources.release(call('release-exported-resources'), model, resourceType, name);
    },
    exportResources(queue: Common.Queue, resourceType: number, ptrs: Uint32Array, name: string): void {
      const { model } = queueState(call('export-resources'), queue);
      host.resources.export(call('export-resources'), instance, model, resourceType, [...ptrs], name);
    },
    importResources(queue: Common.Queue, resourceType: number, name: string): Uint32Array {
      const { model } = queueState(call('import-resources'), queue);
      return Uint32Array.from(
        host.resources.import(call('import-resources'), instance, model, resourceType, name, admit),
      );
    },
  };
}

function answerQueueQuery(queue: QueueState, query: string): string {
  switch (query.trim()) {
    case 'model':
      return queue.model.name;
    case 'priority':
      return queue.priority;
    default:
      return `unknown debug query ${JSON.stringify(query)}; known: model, priority`;
  }
}

export type CommonImports = ReturnType<typeof createCommon>;
