import { setAdapter } from 'inferlet:adapter/common';
import {
  allocateResources,
  deallocateResources,
  exportResources,
  getAllExportedResources,
  type Queue as HostQueue,
  importResources,
  type Pollable,
  releaseExportedResources,
} from 'inferlet:core/common';
import * as forward from 'inferlet:core/forward';
import { getModel } from 'inferlet:core/runtime';
import { setAdapterSeed } from 'inferlet:zo/evolve';
import type { Distribution, ForwardPassResult, Priority } from 'inferlib:queue/queues';
import { exactU32Result, refuseAfterDrop } from '@inferlib/support';

const iface = 'inferlib:queue/queues';

/** The host's resource-type numbers, in the order of `resource-type`. */
const kvPage = 0;
const embed = 1;

/** Waits on a host pollable and lets go of it. */
function waitFor(pollable: Pollable): void {
  pollable.block();
  pollable[Symbol.dispose]();
}

export class ForwardPass {
  readonly #pass: forward.ForwardPass;
  /** Whether tokens, or distributions, were asked for at some input: only then does Pie answer the pass. */
  #asksForTokens = false;
  #asksForDistributions = false;

  /** Made by `queue.create-forward-pass`. */
  constructor(pass: forward.ForwardPass) {
    this.#pass = pass;
  }

  inputTokens(tokens: Uint32Array, positions: Uint32Array): void {
    forward.inputTokens(this.#pass, tokens, positions);
  }

  inputEmbedPtrs(embedPtrs: Uint32Array, positions: Uint32Array): void {
    forward.inputEmbeddings(this.#pass, embedPtrs, positions);
  }

  kvCache(kvPagePtrs: Uint32Array, lastKvPageLen: number): void {
    forward.kvCache(this.#pass, kvPagePtrs, lastKvPageLen);
  }

  attentionMask(mask: Uint32Array[]): void {
    forward.attentionMask(this.#pass, mask);
  }

  setAdapter(adapterPtr: number): void {
    setAdapter(this.#pass, adapterPtr);
  }

  setAdapterSeed(seed: bigint): void {
    setAdapterSeed(this.#pass, seed);
  }

  outputDistributions(indices: Uint32Array, temperature: number, topK: number | undefined): void {
    this.#asksForDistributions ||= indices.length > 0;
    forward.outputDistributions(this.#pass, indices, temperature, topK);
  }

  outputTokens(indices: Uint32Array, temperature: number): void {
    this.#asksForTokens ||= indices.length > 0;
    forward.outputTokens(this.#pass, indices, temperature);
  }

  outputTokensTopP(indices: Uint32Array, temperature: number, topP: number): void {
    this.#asksForTokens ||= indices.length > 0;
    forward.outputTokensTopP(this.#pass, indices, temperature, topP);
  }

  outputTokensTopK(indices: Uint32Array, temperature: number, topK: number): void {
    this.#asksForTokens ||= indices.length > 0;
    forward.outputTokensTopK(this.#pass, indices, temperature, topK);
  }

  outputTokensMinP(indices: Uint32Array, temperature: number, minP: number): void {
    this.#asksForTokens ||= indices.length > 0;
    forward.outputTokensMinP(this.#pass, indices, temperature, minP);
  }

  outputTokensTopKTopP(indices: Uint32Array, temperature: number, topK: number, topP: number): void {
    this.#asksForTokens ||= indices.length > 0;
    forward.outputTokensTopKTopP(this.#pass, indices, temperature, topK, topP);
  }

  outputEmbedPtrs(embedPtrs: Uint32Array, indices: Uint32Array): void {
    forward.outputEmbeddings(this.#pass, embedPtrs, indices);
  }

  /**
   * Runs the pass and waits for its result; a field the pass did not ask for (or an empty list) is absent.
   * A pass that asks for nothing still asks Pie for one greedy token, which is dropped unread: Pie's batcher
   * hands a no-output pass's response to the next pass that asks for output (see docs/decisions.md).
   */
  execute(): ForwardPassResult {
    if (!this.#asksForTokens && !this.#asksForDistributions) {
      forward.outputTokens(this.#pass, Uint32Array.of(0), 0);
      this.#pass.execute()?.[Symbol.dispose]();
      return {};
    }
    const result = this.#pass.execute();
    if (result === undefined) return {};
    waitFor(result.pollable());
    const output: ForwardPassResult = {};
    if (this.#asksForTokens) {
      const tokens = result.getTokens();
      if (tokens !== undefined) output.tokens = tokens;
    }
    if (this.#asksForDistributions) {
      const distributions: Distribution[] | undefined = result
        .getDistributions()
        ?.map(([ids, probs]) => ({ ids, probs }));
      if (distributions !== undefined && distributions.length > 0) output.distributions = distributions;
    }
    result[Symbol.dispose]();
    return output;
  }

  [Symbol.dispose](): void {
    this.#pass[Symbol.dispose]();
  }
}

export class Queue {
  readonly #host: HostQueue;

  /** Made by `from-model-name`. */
  constructor(host: HostQueue) {
    this.#host = host;
  }

  static fromModelName(modelName: string): Queue {
    const model = getModel(modelName);
    if (model === undefined) {
      throw new Error(
        `${iface}.queue.from-model-name: the runtime serves no model named ${JSON.stringify(modelName)}`,
      );
    }
    const queue = new Queue(model.createQueue());
    model[Symbol.dispose]();
    return queue;
  }

  getServiceId(): number {
    return exactU32Result(this.#host.getServiceId(), `${iface}.queue.get-service-id`);
  }

  synchronize(): boolean {
    const result = this.#host.synchronize();
    waitFor(result.pollable());
    const done = result.get() ?? false;
    result[Symbol.dispose]();
    return done;
  }

  setPriority(priority: Priority): void {
    this.#host.setPriority(priority);
  }

  allocateKvPages(count: number): Uint32Array {
    return allocateResources(this.#host, kvPage, count);
  }

  deallocateKvPages(ptrs: Uint32Array): void {
    deallocateResources(this.#host, kvPage, ptrs);
  }

  exportKvPages(ptrs: Uint32Array, name: string): void {
    exportResources(this.#host, kvPage, ptrs, name);
  }

  importKvPages(name: string): Uint32Array {
    return importResources(this.#host, kvPage, name);
  }

  getAllExportedKvPages(): [string, number][] {
    return getAllExportedResources(this.#host, kvPage);
  }

  releaseExportedKvPages(name: string): void {
    releaseExportedResources(this.#host, kvPage, name);
  }

  allocateEmbeds(count: number): Uint32Array {
    return allocateResources(this.#host, embed, count);
  }

  deallocateEmbeds(ptrs: Uint32Array): void {
    deallocateResources(this.#host, embed, ptrs);
  }

  createForwardPass(): ForwardPass {
    return new ForwardPass(forward.createForwardPass(this.#host));
  }

  [Symbol.dispose](): void {
    this.#host[Symbol.dispose]();
  }
}

refuseAfterDrop(ForwardPass, `${iface}.forward-pass`);
refuseAfterDrop(Queue, `${iface}.queue`);
