import type * as Common from 'inferlet:core/common';
import type * as Forward from 'inferlet:core/forward';
import type { CommonImports } from '../core/common.ts';
import type { ForwardImports } from '../core/forward.ts';
import { hashBytes } from '../hash.ts';

const iface = 'inferlet:zo/evolve';

/** Deterministic stand-in weights: the digest of everything that defines them, as bytes. */
function weightsFrom(parts: readonly (number | bigint | string)[]): Uint8Array {
  const text = new TextEncoder().encode(parts.map(String).join('|'));
  const digest = hashBytes(text);
  return Uint8Array.from([
    ...text,
    digest & 0xff,
    (digest >>> 8) & 0xff,
    (digest >>> 16) & 0xff,
    digest >>> 24,
  ]);
}

/**
 * `inferlet:zo/evolve`: evolution-strategy training of an adapter. The host-shim keeps no real weights; an
 * adapter's bytes are derived from its parameters and updates, so that a pass's logits depend on them and on
 * the pass's seed exactly as a test can check.
 */
export function createZoEvolve(common: CommonImports, forward: ForwardImports) {
  const slot = (call: string, queue: Common.Queue, pointer: number) =>
    common.resolveOnQueue(`${iface}.${call}`, queue, 2, pointer);
  return {
    setAdapterSeed(pass: Forward.ForwardPass, seed: bigint): void {
      forward.planOf('set-adapter-seed', pass).adapterSeed = seed;
    },
    initializeAdapter(
      queue: Common.Queue,
      adapterPtr: number,
      rank: number,
      alpha: number,
      populationSize: number,
      muFraction: number,
      initialSigma: number,
    ): void {
      const call = `${iface}.initialize-adapter`;
      if (rank < 1) throw new Error(`${call}: rank ${rank} must be at least 1`);
      if (populationSize < 1)
        throw new Error(`${call}: population-size ${populationSize} must be at least 1`);
      if (!(muFraction > 0 && muFraction <= 1))
        throw new Error(`${call}: mu-fraction ${muFraction} must be in (0, 1]`);
      if (!(initialSigma > 0)) throw new Error(`${call}: initial-sigma ${initialSigma} must be positive`);
      if (!Number.isFinite(alpha)) throw new Error(`${call}: alpha ${alpha} must be finite`);
      // f32s as a component hands them over: the sources in Node pass doubles.
      slot('initialize-adapter', queue, adapterPtr).weights = weightsFrom([
        'init',
        rank,
        Math.fround(alpha),
        populationSize,
        Math.fround(muFraction),
        Math.fround(initialSigma),
      ]);
    },
    updateAdapter(
      queue: Common.Queue,
      adapterPtr: number,
      scores: Float32Array,
      seeds: BigInt64Array,
      maxSigma: number,
    ): void {
      const call = `${iface}.update-adapter`;
      const adapter = slot('update-adapter', queue, adapterPtr);
      if (adapter.weights === undefined)
        throw new Error(`${call}: adapter pointer ${adapterPtr} was never initialized`);
      if (scores.length !== seeds.length)
        throw new Error(`${call}: ${scores.length} scores but ${seeds.length} seeds`);
      if (!(maxSigma > 0)) throw new Error(`${call}: max-sigma ${maxSigma} must be positive`);
      adapter.weights = weightsFrom([
        'update',
        hashBytes(adapter.weights),
        ...Float32Array.from(scores),
        ...seeds,
        Math.fround(maxSigma),
      ]);
    },
  };
}
