/**
 * Turning logits into tokens and distributions, as the host's output calls ask: greedy at temperature 0,
 * otherwise a draw from the tempered softmax, cut down by top-k, top-p or min-p.
 */
import type { SeededRandom } from '@inferlib/support';

export { SeededRandom } from '@inferlib/support';

export type Cutoff =
  | { readonly kind: 'none' }
  | { readonly kind: 'top-k'; readonly k: number }
  | { readonly kind: 'top-p'; readonly p: number }
  | { readonly kind: 'min-p'; readonly p: number }
  | { readonly kind: 'top-k-top-p'; readonly k: number; readonly p: number };

/** Checks sampler parameters; `call` names the host function for the error. */
export function checkSampler(call: string, temperature: number, cutoff: Cutoff): void {
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new Error(`${call}: temperature ${temperature} must be a finite number ≥ 0`);
  }
  if ((cutoff.kind === 'top-k' || cutoff.kind === 'top-k-top-p') && !(cutoff.k >= 1)) {
    throw new Error(`${call}: top-k ${cutoff.k} must be at least 1`);
  }
  if ((cutoff.kind === 'top-p' || cutoff.kind === 'top-k-top-p') && !(cutoff.p > 0 && cutoff.p <= 1)) {
    throw new Error(`${call}: top-p ${cutoff.p} must be in (0, 1]`);
  }
  if (cutoff.kind === 'min-p' && !(cutoff.p >= 0 && cutoff.p <= 1)) {
    throw new Error(`${call}: min-p ${cutoff.p} must be in [0, 1]`);
  }
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let id = 1; id < logits.length; id++) if ((logits[id] ?? 0) > (logits[best] ?? 0)) best = id;
  return best;
}

/** Softmax of `logits / temperature` (temperature > 0), in a new array. */
export function softmax(logits: Float32Array, temperature: number): Float64Array {
  const max = logits[argmax(logits)] ?? 0;
  const probs = new Float64Array(logits.length);
  let sum = 0;
  for (let id = 0; id < logits.length; id++) {
    const weight = Math.exp(((logits[id] ?? 0) - max) / temperature);
    probs[id] = weight;
    sum += weight;
  }
  for (let id = 0; id < probs.length; id++) probs[id] = (probs[id] ?? 0) / sum;
  return probs;
}

/** Ids of the `k` largest values, largest first (ties: smaller id first). */
export function topIds(values: ArrayLike<number>, k: number): number[] {
  const count = Math.min(k, values.length);
  // A min-heap of the best `count` so far: O(n log k), no full sort of a large vocabulary.
  const heap: number[] = [];
  const worse = (a: number, b: number) =>
    (values[a] ?? 0) < (values[b] ?? 0) || ((values[a] ?? 0) === (values[b] ?? 0) && a > b);
  const swap = (i: number, j: number) => {
    const t = heap[i] ?? 0;
    heap[i] = heap[j] ?? 0;
    heap[j] = t;
  };
  const siftDown = (start: number) => {
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && worse(heap[left] ?? 0, heap[smallest] ?? 0)) smallest = left;
      if (right < heap.length && worse(heap[right] ?? 0, heap[smallest] ?? 0)) smallest = right;
      if (smallest === i) return;
      swap(i, smallest);
      i = smallest;
    }
  };
  for (let id = 0; id < values.length; id++) {
    if (heap.length < count) {
      heap.push(id);
      for (let i = heap.length - 1; i > 0 && worse(heap[i] ?? 0, heap[(i - 1) >> 1] ?? 0); i = (i - 1) >> 1) {
        swap(i, (i - 1) >> 1);
      }
    } else if (count > 0 && worse(heap[0] ?? 0, id)) {
      heap[0] = id;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}

/** The ids a cutoff keeps, with their probabilities, most probable first. */
function nucleus(probs: Float64Array, p: number, limit: number): number[] {
  for (let size = Math.min(64, limit); ; size = Math.min(size * 8, limit)) {
    const ids = topIds(probs, size);
    let total = 0;
    for (let index = 0; index < ids.length; index++) {
      total += probs[ids[index] ?? 0] ?? 0;
      if (total >= p) return ids.slice(0, index + 1);
    }
    if (size === limit) return ids;
  }
}

/** Draws one id from `ids` in proportion to `probs`. */
function draw(ids: readonly number[], probs: Float64Array, random: SeededRandom): number {
  let total = 0;
  for (const id of ids) total += probs[id] ?? 0;
  let remaining = random.next() * total;
  for (const id of ids) {
    remaining -= probs[id] ?? 0;
    if (remaining < 0) return id;
  }
  return ids.at(-1) ?? 0;
}

/** One sampled token. */
export function sampleToken(
  logits: Float32Array,
  temperature: number,
  cutoff: Cutoff,
  random: SeededRandom,
): number {
  if (temperature === 0) return argmax(logits);
  const probs = softmax(logits, temperature);
  switch (cutoff.kind) {
    case 'none': {
      let remaining = random.next();
      for (let id = 0; id < probs.length; id++) {
        remaining -= probs[id] ?? 0;
        if (remaining < 0) return id;
      }
      return argmax(logits);
    }
    case 'top-k':
      return draw(topIds(probs, cutoff.k), probs, random);
    case 'top-p':
      return draw(nucleus(probs, cutoff.p, probs.length), probs, random);
    case 'top-k-top-p':
      return draw(nucleus(renormalised(probs, topIds(probs, cutoff.k)), cutoff.p, cutoff.k), probs, random);
    case 'min-p': {
      const threshold = cutoff.p * (probs[argmax(logits)] ?? 0);
      const kept: number[] = [];
      for (let id = 0; id < probs.length; id++) if ((probs[id] ?? 0) >= threshold) kept.push(id);
      return draw(kept, probs, random);
    }
  }
}

/** `probs` restricted to `ids` and summing to 1 over them (zero elsewhere). */
function renormalised(probs: Float64Array, ids: readonly number[]): Float64Array {
  const restricted = new Float64Array(probs.length);
  let total = 0;
  for (const id of ids) total += probs[id] ?? 0;
  for (const id of ids) restricted[id] = (probs[id] ?? 0) / total;
  return restricted;
}

/** The `top-k` most probable ids (all when `top-k` is absent) with their probabilities, most probable first. */
export function distribution(
  logits: Float32Array,
  temperature: number,
  topK: number | undefined,
): [number[], number[]] {
  const probs = temperature === 0 ? oneHot(logits) : softmax(logits, temperature);
  const ids = topIds(probs, topK ?? probs.length);
  return [ids, ids.map((id) => probs[id] ?? 0)];
}

function oneHot(logits: Float32Array): Float64Array {
  const probs = new Float64Array(logits.length);
  probs[argmax(logits)] = 1;
  return probs;
}
