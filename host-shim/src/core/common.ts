import type * as Common from 'inferlet:core/common';
import type { InstanceState } from '../instance.ts';
import type { ServedModel } from '../models.ts';
import { readyPollable } from '../pollable.ts';
import { unimplementedFunctions, unimplementedResource } from '../unimplemented.ts';

const iface = 'inferlet:core/common';

/** `inferlet:core/common` for one inferlet instance. */
export function createCommon(_instance: InstanceState) {
  class Model implements Common.Model {
    readonly #served: ServedModel;

    /** Made by the host only (`runtime.get-model`); the guest cannot construct a model. */
    constructor(served: ServedModel) {
      this.#served = served;
    }

    getName(): string {
      return this.#served.name;
    }
    getTraits(): string[] {
      return [...this.#served.traits];
    }
    getDescription(): string {
      return this.#served.description;
    }
    getPromptTemplate(): string {
      return this.#served.promptTemplate;
    }
    getStopTokens(): string[] {
      return [...this.#served.stopTokens];
    }
    getServiceId(): number {
      return this.#served.serviceId;
    }
    getKvPageSize(): number {
      return this.#served.kvPageSize;
    }
    createQueue(): Common.Queue {
      throw new Error(`${iface}.model.create-queue: not provided by this version of the host-shim`);
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

  return {
    Model,
    DebugQueryResult,
    Blob: unimplementedResource(iface, 'blob'),
    BlobResult: unimplementedResource(iface, 'blob-result'),
    Queue: unimplementedResource(iface, 'queue'),
    SynchronizationResult: unimplementedResource(iface, 'synchronization-result'),
    ...unimplementedFunctions(iface, [
      'allocateResources',
      'deallocateResources',
      'getAllExportedResources',
      'releaseExportedResources',
      'exportResources',
      'importResources',
    ]),
  };
}

export type CommonImports = ReturnType<typeof createCommon>;
