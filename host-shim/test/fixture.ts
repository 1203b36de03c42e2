/** A host with typed access to one instance's host imports, for tests that act as the guest. */

import type * as Adapter from 'inferlet:adapter/common';
import type * as Common from 'inferlet:core/common';
import type * as Forward from 'inferlet:core/forward';
import type * as Message from 'inferlet:core/message';
import type * as Runtime from 'inferlet:core/runtime';
import type * as Tokenize from 'inferlet:core/tokenize';
import type * as Evolve from 'inferlet:zo/evolve';
import { createHost, type HostOptions, type Instance, type ModelSpec, referenceModel } from '../src/index.ts';

/** A small-vocabulary reference model (token 0 ends the turn), quick enough for property tests. */
export const smallModel = (kvPageSize: number, vocabSize = 48): ModelSpec => ({
  name: `small-${kvPageSize}`,
  kvPageSize,
  stopTokens: ['<end>'],
  languageModel: () => referenceModel(vocabSize, 0),
});

export interface Guest {
  readonly instance: Instance;
  readonly common: typeof Common;
  readonly runtime: typeof Runtime;
  readonly forward: typeof Forward;
  readonly tokenize: typeof Tokenize;
  readonly message: typeof Message;
  readonly adapter: typeof Adapter;
  readonly evolve: typeof Evolve;
  /** A queue of the host's first model. */
  readonly queue: Common.Queue;
}

export function guestOf(instance: Instance): Guest {
  const imports = instance.imports;
  const runtime = imports['inferlet:core/runtime'] as typeof Runtime;
  const model = runtime.getModel(runtime.getAllModels()[0] ?? '') as Common.Model;
  return {
    instance,
    common: imports['inferlet:core/common'] as typeof Common,
    runtime,
    forward: imports['inferlet:core/forward'] as typeof Forward,
    tokenize: imports['inferlet:core/tokenize'] as typeof Tokenize,
    message: imports['inferlet:core/message'] as typeof Message,
    adapter: imports['inferlet:adapter/common'] as typeof Adapter,
    evolve: imports['inferlet:zo/evolve'] as typeof Evolve,
    queue: model.createQueue(),
  };
}

export function newGuest(options: HostOptions = {}): Guest {
  return guestOf(createHost(options).createInstance());
}

export const u32 = (values: readonly number[]): Uint32Array => Uint32Array.from(values);

/** Runs a pass and returns its result once ready. */
export function run(_guest: Guest, pass: Forward.ForwardPass): Forward.ForwardPassResult | undefined {
  const result = pass.execute();
  result?.pollable().block();
  return result;
}

/** A KV cache grown by hand as a context grows it: pages added by page size, positions continuing. */
export class GrowingCache {
  readonly pages: number[] = [];
  /** Tokens in the cache. */
  length = 0;

  constructor(
    readonly guest: Guest,
    readonly pageSize: number,
  ) {}

  /** Allocates the pages that `added` more tokens need; the last page's length with them. */
  grow(added: number): number {
    const { common, queue } = this.guest;
    const needed = Math.ceil((this.length + added) / this.pageSize);
    if (needed > this.pages.length)
      this.pages.push(...common.allocateResources(queue, 0, needed - this.pages.length));
    return this.length + added - (this.pages.length - 1) * this.pageSize;
  }
}
