import type * as Common from 'inferlet:core/common';
import type * as Forward from 'inferlet:core/forward';
import { hashBytes } from '../hash.ts';
import type { HostState, InstanceState } from '../instance.ts';
import type { AdapterInfluence, KvEntry } from '../language-model.ts';
import { HostPollable } from '../pollable.ts';
import { type Cutoff, checkSampler, distribution, sampleToken } from '../sampling.ts';
import type { CommonImports, QueueState } from './common.ts';

const iface = 'inferlet:core/forward';
const kvCacheCall = `${iface}.kv-cache`;
/** What Pie's runtime asks of the model when `output-distributions` has no `top-k`. */
const defaultDistributionTopK = 32;

type Input =
  | { readonly token: number; readonly position: number }
  | { readonly embedding: number; readonly position: number };

interface TokenRequest {
  readonly indices: readonly number[];
  readonly temperature: number;
  readonly cutoff: Cutoff;
}

interface DistributionRequest {
  readonly indices: readonly number[];
  readonly temperature: number;
  readonly topK: number | undefined;
}

/** What a pass was asked to do, collected until `execute`. */
interface PassPlan {
  readonly queue: QueueState;
  readonly inputs: Input[];
  kvCache: { readonly pages: Uint32Array; readonly lastPageLength: number } | undefined;
  masks: readonly Uint32Array[] | undefined;
  adapterPointer: number | undefined;
  adapterSeed: bigint | undefined;
  readonly tokenRequests: TokenRequest[];
  readonly distributionRequests: DistributionRequest[];
  readonly embeddingOutputs: { readonly pointers: readonly number[]; readonly indices: readonly number[] }[];
  executed: boolean;
}

/** `inferlet:core/forward` for one inferlet instance. */
export function createForward(host: HostState, instance: InstanceState, common: CommonImports) {
  class ForwardPass implements Forward.ForwardPass {
    readonly plan: PassPlan;

    constructor(plan: PassPlan) {
      this.plan = plan;
    }
    execute(): ForwardPassResult | undefined {
      const startedAt = performance.now();
      let result: ForwardPassResult | undefined;
      try {
        result = executePass(this.plan);
        return result;
      } finally {
        const ended = performance.now();
        const time = {
          instanceId: instance.id,
          inputs: this.plan.inputs.length,
          outputs: new Set(
            [...this.plan.tokenRequests, ...this.plan.distributionRequests].flatMap(
              (request) => request.indices,
            ),
          ).size,
          tokensRead: 0,
          ms: ended - startedAt,
          startedAt,
          readyAt: result?.readyAt ?? ended,
        };
        host.passTimes.push(time);
        result?.recordReadsIn(time);
      }
    }
    [Symbol.dispose](): void {}
  }

  class ForwardPassResult implements Forward.ForwardPassResult {
    readonly #readyAt: number;
    readonly #tokens: number[] | undefined;
    readonly #distributions: [Uint32Array, Float32Array][] | undefined;
    #time: { tokensRead: number } | undefined;

    constructor(
      readyAt: number,
      tokens: number[] | undefined,
      distributions: [Uint32Array, Float32Array][] | undefined,
    ) {
      this.#readyAt = readyAt;
      this.#tokens = tokens;
      this.#distributions = distributions;
    }
    get readyAt(): number {
      return this.#readyAt;
    }
    /** Where `get-tokens` counts the tokens the guest read. */
    recordReadsIn(time: { tokensRead: number }): void {
      this.#time = time;
    }
    pollable(): Common.Pollable {
      return new HostPollable(this.#readyAt);
    }
    #checkReady(name: string): void {
      if (performance.now() < this.#readyAt) {
        throw new Error(`${iface}.forward-pass-result.${name}: called before the result's pollable is ready`);
      }
    }
    getDistributions(): [Uint32Array, Float32Array][] | undefined {
      this.#checkReady('get-distributions');
      return this.#distributions;
    }
    getTokens(): Uint32Array | undefined {
      this.#checkReady('get-tokens');
      if (this.#time !== undefined) this.#time.tokensRead = this.#tokens?.length ?? 0;
      return this.#tokens === undefined ? undefined : Uint32Array.from(this.#tokens);
    }
    [Symbol.dispose](): void {}
  }

  const planOf = (call: string, pass: Forward.ForwardPass): PassPlan => {
    if (!(pass instanceof ForwardPass))
      throw new Error(`${iface}.${call}: the forward pass is not one this host made`);
    if (pass.plan.executed) throw new Error(`${iface}.${call}: the forward pass was already executed`);
    return pass.plan;
  };

  const model = (plan: PassPlan) => plan.queue.model;

  function resolveAdapter(plan: PassPlan): AdapterInfluence | undefined {
    if (plan.adapterPointer === undefined && plan.adapterSeed === undefined) return undefined;
    let digest = 0;
    if (plan.adapterPointer !== undefined) {
      const slot = host.resources.resolve(
        `${iface}.forward-pass.execute (adapter)`,
        instance,
        model(plan),
        2,
        plan.adapterPointer,
      );
      if (slot.weights === undefined) {
        throw new Error(
          `inferlet:adapter/common.set-adapter: adapter pointer ${plan.adapterPointer} has no weights (upload or initialize it first)`,
        );
      }
      digest = hashBytes(slot.weights);
    }
    return { digest, seed: plan.adapterSeed ?? 0n };
  }

  function executePass(plan: PassPlan): ForwardPassResult | undefined {
    const call = `${iface}.forward-pass.execute`;
    if (plan.executed) throw new Error(`${call}: the forward pass was already executed`);
    plan.executed = true;
    const served = model(plan);
    const count = plan.inputs.length;
    if (count === 0) throw new Error(`${call}: the pass has no inputs (input-tokens or input-embeddings)`);
    if (plan.kvCache === undefined) throw new Error(`${call}: the pass has no kv-cache`);
    // Pie answers a pass only when it asks for a token or a distribution at some input.
    const asksForOutput = [...plan.tokenRequests, ...plan.distributionRequests].some(
      (request) => request.indices.length > 0,
    );
    const unconfirmed = instance.unconfirmedPasses.get(served.name);
    if (asksForOutput && unconfirmed !== undefined) {
      // In Pie only this pass gets the wrong response (its own is dropped); the next ones are paired right.
      instance.unconfirmedPasses.delete(served.name);
      throw new Error(
        `${call}: this pass asks for output right after a pass on model ${served.name} that asked for none (${unconfirmed}) and may not have completed; Pie's batcher would hand this pass that pass's empty response. Ask every pass for an output (one token will do).`,
      );
    }
    const pageSize = served.kvPageSize;
    const { pages: pointers, lastPageLength } = plan.kvCache;
    const pages = host.resources.resolvePages(kvCacheCall, instance, served, pointers);
    const cacheLength = (pages.length - 1) * pageSize + lastPageLength;
    if (cacheLength < count) {
      throw new Error(
        `${iface}.kv-cache: ${pages.length} page(s) with last-kv-page-len ${lastPageLength} hold ${cacheLength} slots, fewer than the ${count} inputs`,
      );
    }
    const firstSlot = cacheLength - count;
    const slotOf = (index: number) => firstSlot + index;
    if (plan.masks !== undefined) {
      if (plan.masks.length !== count) {
        throw new Error(
          `${iface}.attention-mask: ${plan.masks.length} masks for ${count} inputs; there must be one per input`,
        );
      }
      plan.masks.forEach((mask, index) => {
        const length = mask.reduce((sum, run) => sum + run, 0);
        if (length !== slotOf(index) + 1) {
          throw new Error(
            `${iface}.attention-mask: mask ${index} covers ${length} slots, but input ${index} sits at slot ${slotOf(index)} so its mask must cover ${slotOf(index) + 1}`,
          );
        }
      });
      // Pie runs a batch in which every request has one input as decode attention, which takes no mask
      // (runtime/src/model/request.rs, `single_token_mode`): a mask on a one-input pass would apply or not
      // depending on what the pass is batched with. A causal mask, one run over every slot, is what decode does.
      const [only] = plan.masks;
      if (count === 1 && only !== undefined && only.length !== 1) {
        throw new Error(
          `${iface}.attention-mask: mask [${only.join(', ')}] hides KV slots from the pass's one input; Pie ignores the mask of a one-input pass unless another pass with more inputs is batched with it, so this mask would apply only sometimes. Give the pass more inputs, or a causal mask`,
        );
      }
    }
    const entries: KvEntry[] = plan.inputs.map((input) => {
      if ('token' in input) return { token: input.token, position: input.position };
      const slot = host.resources.resolve(`${iface}.input-embeddings`, instance, served, 1, input.embedding);
      if (slot.value === undefined) {
        throw new Error(
          `${iface}.input-embeddings: embedding pointer ${input.embedding} holds no embedding yet`,
        );
      }
      return { token: slot.value.token, position: input.position };
    });
    // Inputs see earlier inputs of the same pass in their own slots; the pages are written only once the
    // whole pass is known to be valid, so that a refused pass leaves the cache as it was.
    const entryAt = (slot: number): KvEntry | undefined =>
      slot >= firstSlot
        ? entries[slot - firstSlot]
        : pages[Math.floor(slot / pageSize)]?.slots[slot % pageSize];
    const visibleTo = (index: number): KvEntry[] => {
      const visible: KvEntry[] = [];
      const attend = (slot: number) => {
        const entry = entryAt(slot);
        if (entry === undefined) {
          throw new Error(
            `${call}: input ${index} attends to KV slot ${slot % pageSize} of page ${pointers[Math.floor(slot / pageSize)]}, which was never written`,
          );
        }
        visible.push(entry);
      };
      const mask = plan.masks?.[index];
      if (mask === undefined) {
        for (let slot = 0; slot <= slotOf(index); slot++) attend(slot);
        return visible;
      }
      let slot = 0;
      mask.forEach((run, runIndex) => {
        // Runs alternate, starting with `false` = may attend.
        if (runIndex % 2 === 0) for (let offset = 0; offset < run; offset++) attend(slot + offset);
        slot += run;
      });
      return visible;
    };
    const adapter = resolveAdapter(plan);
    const logitsCache = new Map<number, Float32Array>();
    const logitsOf = (index: number): Float32Array => {
      let logits = logitsCache.get(index);
      if (logits === undefined) {
        const input = entries[index] as KvEntry;
        logits = served
          .languageModel()
          .logits({ input, visible: outputVisible.get(index) ?? visibleTo(index), adapter });
        logitsCache.set(index, logits);
      }
      return logits;
    };
    const checkIndex = (what: string, index: number) => {
      if (index >= count)
        throw new Error(`${iface}.${what}: output index ${index} is outside the pass's ${count} inputs`);
    };
    for (const request of plan.tokenRequests)
      for (const index of request.indices) checkIndex('output-tokens', index);
    for (const request of plan.distributionRequests)
      for (const index of request.indices) checkIndex('output-distributions', index);
    for (const output of plan.embeddingOutputs)
      for (const index of output.indices) checkIndex('output-embeddings', index);
    const embeddingWrites = plan.embeddingOutputs.flatMap((output) =>
      output.pointers.map((pointer, position) => ({
        slot: host.resources.resolve(`${iface}.output-embeddings`, instance, served, 1, pointer),
        value: entries[output.indices[position] ?? 0],
      })),
    );
    // Attention over unwritten slots is an error even when no output is asked for. The inputs whose
    // logits are asked for keep what they see, so that it is gathered once.
    const outputIndices = new Set(
      [...plan.tokenRequests, ...plan.distributionRequests].flatMap((request) => request.indices),
    );
    const outputVisible = new Map<number, KvEntry[]>();
    for (let index = 0; index < count; index++) {
      const visible = visibleTo(index);
      if (outputIndices.has(index)) outputVisible.set(index, visible);
    }
    // Valid: the pass takes effect.
    entries.forEach((entry, index) => {
      const slot = slotOf(index);
      const page = pages[Math.floor(slot / pageSize)];
      if (page !== undefined) page.slots[slot % pageSize] = entry;
    });
    for (const { slot, value } of embeddingWrites) slot.value = value;
    const tokens =
      !asksForOutput || plan.tokenRequests.length === 0
        ? undefined
        : plan.tokenRequests.flatMap((request) =>
            request.indices.map((index) =>
              sampleToken(logitsOf(index), request.temperature, request.cutoff, instance.random),
            ),
          );
    const distributions =
      !asksForOutput || plan.distributionRequests.length === 0
        ? undefined
        : plan.distributionRequests.flatMap((request) =>
            request.indices.map((index): [Uint32Array, Float32Array] => {
              const [ids, probs] = distribution(
                logitsOf(index),
                request.temperature,
                request.topK ?? defaultDistributionTopK,
              );
              return [Uint32Array.from(ids), Float32Array.from(probs)];
            }),
          );
    const readyAt = Math.max(performance.now(), plan.queue.busyUntil) + host.forwardLatencyMs;
    plan.queue.busyUntil = readyAt;
    if (!asksForOutput) {
      const from = plan.inputs[0]?.position ?? 0;
      instance.unconfirmedPasses.set(served.name, `${count} input(s) at position ${from}`);
      return undefined;
    }
    instance.unconfirmedPasses.delete(served.name);
    return new ForwardPassResult(readyAt, tokens, distributions);
  }

  const requestTokens = (
    name: string,
    pass: Forward.ForwardPass,
    indices: Uint32Array,
    temperature: number,
    cutoff: Cutoff,
  ) => {
    const call = `${iface}.${name}`;
    checkSampler(call, temperature, cutoff);
    // An f32 as a component hands it over (and Pie computes with it): the sources in Node pass a double.
    const f32Cutoff = 'p' in cutoff ? { ...cutoff, p: Math.fround(cutoff.p) } : cutoff;
    planOf(name, pass).tokenRequests.push({
      indices: [...indices],
      temperature: Math.fround(temperature),
      cutoff: f32Cutoff,
    });
  };

  return {
    ForwardPass,
    ForwardPassResult,
    /** The plan of a pass handed back by the guest (for the adapter and zo modules). */
    planOf,
    createForwardPass(queue: Common.Queue): ForwardPass {
      return new ForwardPass({
        queue: common.queueState(`${iface}.create-forward-pass`, queue),
        inputs: [],
        kvCache: undefined,
        masks: undefined,
        adapterPointer: undefined,
        adapterSeed: undefined,
        tokenRequests: [],
        distributionRequests: [],
        embeddingOutputs: [],
        executed: false,
      });
    },
    attentionMask(pass: Forward.ForwardPass, mask: Uint32Array[]): void {
      const plan = planOf('attention-mask', pass);
      if (plan.masks !== undefined) throw new Error(`${iface}.attention-mask: the pass already has a mask`);
      // A mask is a BRLE buffer as `get-buffer` gives it: no zero-length run but a leading one.
      mask.forEach((runs, index) => {
        if (runs.some((run, runIndex) => run === 0 && runIndex > 0)) {
          throw new Error(
            `${iface}.attention-mask: mask ${index} [${runs.join(', ')}] is not canonical BRLE: only its first run may be empty`,
          );
        }
      });
      plan.masks = mask.map((buffer) => Uint32Array.from(buffer));
    },
    kvCache(pass: Forward.ForwardPass, kvPagePtrs: Uint32Array, lastKvPageLen: number): void {
      const plan = planOf('kv-cache', pass);
      const pageSize = model(plan).kvPageSize;
      if (kvPagePtrs.length === 0) throw new Error(`${kvCacheCall}: no pages`);
      if (lastKvPageLen < 1 || lastKvPageLen > pageSize) {
        throw new Error(
          `${kvCacheCall}: last-kv-page-len ${lastKvPageLen} is outside 1..${pageSize} (the page size)`,
        );
      }
      host.resources.resolvePages(kvCacheCall, instance, model(plan), kvPagePtrs);
      plan.kvCache = { pages: kvPagePtrs.slice(), lastPageLength: lastKvPageLen };
    },
    inputEmbeddings(pass: Forward.ForwardPass, embPtrs: Uint32Array, positions: Uint32Array): void {
      const plan = planOf('input-embeddings', pass);
      if (embPtrs.length !== positions.length) {
        throw new Error(
          `${iface}.input-embeddings: ${embPtrs.length} embeddings but ${positions.length} positions`,
        );
      }
      for (const pointer of embPtrs)
        host.resources.resolve(`${iface}.input-embeddings`, instance, model(plan), 1, pointer);
      embPtrs.forEach((embedding, index) => {
        plan.inputs.push({ embedding, position: positions[index] ?? 0 });
      });
    },
    inputTokens(pass: Forward.ForwardPass, inputTokens: Uint32Array, positions: Uint32Array): void {
      const plan = planOf('input-tokens', pass);
      if (inputTokens.length !== positions.length) {
        throw new Error(
          `${iface}.input-tokens: ${inputTokens.length} tokens but ${positions.length} positions`,
        );
      }
      const vocabSize = model(plan).languageModel().vocabSize;
      inputTokens.forEach((token, index) => {
        if (token >= vocabSize)
          throw new Error(
            `${iface}.input-tokens: token ${token} is outside the vocabulary (${vocabSize} tokens)`,
          );
        plan.inputs.push({ token, position: positions[index] ?? 0 });
      });
    },
    outputEmbeddings(pass: Forward.ForwardPass, embPtrs: Uint32Array, indices: Uint32Array): void {
      const plan = planOf('output-embeddings', pass);
      if (embPtrs.length !== indices.length) {
        throw new Error(
          `${iface}.output-embeddings: ${embPtrs.length} embeddings but ${indices.length} indices`,
        );
      }
      for (const pointer of embPtrs)
        host.resources.resolve(`${iface}.output-embeddings`, instance, model(plan), 1, pointer);
      plan.embeddingOutputs.push({ pointers: [...embPtrs], indices: [...indices] });
    },
    outputDistributions(
      pass: Forward.ForwardPass,
      indices: Uint32Array,
      temperature: number,
      topK: number | undefined,
    ): void {
      const call = `${iface}.output-distributions`;
      checkSampler(call, temperature, topK === undefined ? { kind: 'none' } : { kind: 'top-k', k: topK });
      planOf('output-distributions', pass).distributionRequests.push({
        indices: [...indices],
        temperature: Math.fround(temperature),
        topK,
      });
    },
    outputTokens(pass: Forward.ForwardPass, indices: Uint32Array, temperature: number): void {
      requestTokens('output-tokens', pass, indices, temperature, { kind: 'none' });
    },
    outputTokensTopK(
      pass: Forward.ForwardPass,
      indices: Uint32Array,
      temperature: number,
      topK: number,
    ): void {
      requestTokens('output-tokens-top-k', pass, indices, temperature, { kind: 'top-k', k: topK });
    },
    outputTokensTopP(
      pass: Forward.ForwardPass,
      indices: Uint32Array,
      temperature: number,
      topP: number,
    ): void {
      requestTokens('output-tokens-top-p', pass, indices, temperature, { kind: 'top-p', p: topP });
    },
    outputTokensMinP(
      pass: Forward.ForwardPass,
      indices: Uint32Array,
      temperature: number,
      minP: number,
    ): void {
      requestTokens('output-tokens-min-p', pass, indices, temperature, { kind: 'min-p', p: minP });
    },
    outputTokensTopKTopP(
      pass: Forward.ForwardPass,
      indices: Uint32Array,
      temperature: number,
      topK: number,
      topP: number,
    ): void {
      requestTokens('output-tokens-top-k-top-p', pass, indices, temperature, {
        kind: 'top-k-top-p',
        k: topK,
        p: topP,
      });
    },
  };
}

export type ForwardImports = ReturnType<typeof createForward>;
