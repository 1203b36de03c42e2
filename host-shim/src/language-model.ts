/**
 * What a model computes for the host-shim: next-token logits for one input, from exactly the KV slots the
 * input may attend to. The host-shim does the paging, masking and sampling around it.
 */
import { centered, combine, mix32 } from './hash.ts';

/** What a KV slot holds: the token written there and its position id. */
export interface KvEntry {
  readonly token: number;
  readonly position: number;
}

/** An adapter's effect on one forward pass: a digest of its weights and the pass's zo seed. */
export interface AdapterInfluence {
  readonly digest: number;
  readonly seed: bigint;
}

export interface LogitsRequest {
  /** The input's own token and position. */
  readonly input: KvEntry;
  /** Every slot the input may attend to (its own included), in cache order. */
  readonly visible: readonly KvEntry[];
  readonly adapter: AdapterInfluence | undefined;
}

export interface LanguageModel {
  readonly vocabSize: number;
  logits(request: LogitsRequest): Float32Array;
}

/** Logit bonus of the token an induction lookup predicts: far above the noise, so greedy follows it. */
const copyBonus = 12;
/** Bonus of the continuation of the second most recent occurrence: a clear runner-up for the samplers. */
const runnerUpBonus = 6;
/** Bonus of the end-of-turn token when there is nothing to copy, so that generation stops. */
const endOfTurnBonus = 8;
/** How many tokens, the input's own included, an earlier occurrence is compared on. */
const alignmentWindow = 3;
/** Amplitude of the context noise every token gets. */
const noiseAmplitude = 4;
/** Amplitude of an adapter's perturbation. */
const adapterAmplitude = 6;

/**
 * The reference model, an induction ("copy") model: the next token after token `t` at position `p` is the
 * one that followed an earlier occurrence of `t` among the visible slots — the one whose two preceding
 * positions match the input's best, the most recent among equals. A chat prompt's generation prompt
 * (`<|im_start|>assistant\n`) aligns with the user turn's header (`<|im_start|>user\n`), so the model
 * echoes the user's message and then ends the turn; with nothing to continue it ends the turn at once. Every logit also gets noise seeded by the whole visible set, so that a wrong page, length,
 * position or mask changes the distribution even where it does not change the argmax.
 */
export function referenceModel(vocabSize: number, endOfTurn: number): LanguageModel {
  return {
    vocabSize,
    logits({ input, visible, adapter }) {
      const byPosition = new Map<number, number>();
      let context = mix32(input.token ^ Math.imul(input.position, 0x2c1b_3c6d));
      let contextSum = 0;
      for (const entry of visible) {
        byPosition.set(entry.position, entry.token);
        // A sum of per-slot hashes: the same visible set gives the same noise in any cache order.
        contextSum = (contextSum + combine(mix32(entry.position), entry.token)) >>> 0;
      }
      context = combine(context, contextSum);
      const logits = new Float32Array(vocabSize);
      for (let id = 0; id < vocabSize; id++) logits[id] = noiseAmplitude * centered(combine(context, id));
      // Earlier occurrences of the input's token that have a visible continuation, best aligned first.
      const alignment = (position: number) => {
        let score = 0;
        for (let back = 1; back < alignmentWindow; back++) {
          const earlier = byPosition.get(position - back);
          if (earlier !== undefined && earlier === byPosition.get(input.position - back)) score++;
        }
        return score;
      };
      const candidates = [...byPosition]
        .filter(
          ([position, token]) =>
            token === input.token && position < input.position && byPosition.has(position + 1),
        )
        .map(([position]) => ({ position, score: alignment(position) }))
        .sort((a, b) => b.score - a.score || b.position - a.position);
      const [copy, runnerUp] = candidates.map(({ position }) => byPosition.get(position + 1) as number);
      if (copy === undefined) logits[endOfTurn] = (logits[endOfTurn] ?? 0) + endOfTurnBonus;
      else logits[copy] = (logits[copy] ?? 0) + copyBonus;
      if (runnerUp !== undefined && runnerUp !== copy)
        logits[runnerUp] = (logits[runnerUp] ?? 0) + runnerUpBonus;
      if (adapter !== undefined) {
        const perturbation = combine(
          adapter.digest,
          Number(BigInt.asUintN(32, adapter.seed)) ^ Number(BigInt.asUintN(32, adapter.seed >> 32n)),
        );
        for (let id = 0; id < vocabSize; id++) {
          logits[id] = (logits[id] ?? 0) + adapterAmplitude * centered(combine(perturbation, id));
        }
      }
      return logits;
    },
  };
}

/**
 * The one-shot reference evaluation: the logits of every input of a plain causal sequence, with no pages,
 * masks or incremental state. Whatever paged, incremental runs a guest does must give the same logits.
 */
export function evaluateOneShot(
  model: LanguageModel,
  tokens: readonly number[],
  positions: readonly number[] = tokens.map((_, index) => index),
  adapter?: AdapterInfluence,
): Float32Array[] {
  if (positions.length !== tokens.length) {
    throw new Error(`evaluateOneShot: ${tokens.length} tokens but ${positions.length} positions`);
  }
  const entries = tokens.map((token, index) => ({ token, position: positions[index] ?? 0 }));
  return entries.map((input, index) =>
    model.logits({ input, visible: entries.slice(0, index + 1), adapter }),
  );
}
