/**
 * `inferlib:context/search`: the log-probabilities of given tokens after a context (`score`), beam search and
 * best-of-n. Each leaves the context holding the tokens it held: what it adds is taken back, or generated in
 * forks, which share the context's full KV pages.
 */
import type { StopConditions } from 'inferlib:context/generation';
import type { SamplerConfig } from 'inferlib:context/inference';
import type { Hypothesis } from 'inferlib:context/search';
import { checkLive } from '@inferlib/support';
import { checkCountOfAtLeastOne, checkSampler, errAsText } from './checks.ts';
import type { Context } from './context.ts';
import { checkStopConditions } from './generation.ts';
import { draw, kept, temperatureOf, topKs } from './sampling.ts';
import { TextStream } from './text-stream.ts';

const iface = 'inferlib:context/search';

export function score(context: Context, continuation: Uint32Array): Float32Array {
  const call = `${iface}.score`;
  return errAsText(() => {
    checkLive(context, call, 'context');
    return Float32Array.from(context.logProbabilities(call, Array.from(continuation), topKs));
  });
}

/** A hypothesis and the mean it is ranked by, before it is rounded to the record's `f32`. */
interface Ranked {
  readonly hypothesis: Hypothesis;
  readonly mean: number;
}

/** What `stream` generated, with `text` (its final text) and `sum`, its tokens' summed log-probabilities. */
function ranked(stream: TextStream, text: string, sum: number): Ranked {
  const mean = sum / Math.max(1, stream.tokens.length);
  // Rounded here, so that one engine gives the number a component boundary would.
  return { hypothesis: { tokens: Uint32Array.from(stream.tokens), text, logProb: Math.fround(mean) }, mean };
}

/** Best first; equals keep their order (a stable sort). */
const bestFirst = (answers: Ranked[]): Hypothesis[] =>
  answers.sort((a, b) => b.mean - a.mean).map(({ hypothesis }) => hypothesis);

/** A beam: its context, its text so far and the summed log-probabilities of its tokens. */
interface Beam {
  readonly context: Context;
  readonly stream: TextStream;
  readonly text: string;
  readonly sum: number;
}

export function beamSearch(context: Context, beams: number, stop: StopConditions): Hypothesis[] {
  const call = `${iface}.beam-search`;
  return errAsText(() => {
    checkLive(context, call, 'context');
    checkCountOfAtLeastOne(call, 'beams', beams);
    checkStopConditions(call, stop);
    const stream = new TextStream((tokens) => context.detokenize(tokens), stop);
    let live: Beam[] = [{ context, stream, text: '', sum: 0 }];
    /** The beams a step makes, until they replace `live`: forks to drop if the step fails. */
    let next: Beam[] = [];
    /** Beams that ended at an end-of-turn sequence or a stop string, in the order they did. */
    const ended: Ranked[] = [];
    /** Beams cut at `max-tokens`. */
    const cut: Ranked[] = [];
    const dropForks = (some: readonly Beam[]) => {
      for (const beam of some) if (beam.context !== context) beam.context[Symbol.dispose]();
    };
    try {
      for (let step = 0; step < stop.maxTokens && live.length > 0 && ended.length < beams; step++) {
        // Every beam continued by each of its likeliest tokens; the best overall go on.
        const candidates = live.flatMap((beam) => {
          const { ids, probs } = beam.context.predict(call, 1, beams);
          return Array.from(ids, (token, index) => ({
            beam,
            token,
            sum: beam.sum + Math.log(probs[index] as number),
          }));
        });
        candidates.sort((a, b) => b.sum - a.sum);
        for (const { beam, token, sum } of candidates.slice(0, beams)) {
          const stream = beam.stream.clone();
          const text = beam.text + stream.push(token);
          if (stream.finish === 'max-tokens') cut.push(ranked(stream, text, sum));
          else if (stream.finish !== undefined) ended.push(ranked(stream, text, sum));
          else {
            // A fork shares the beam's full KV pages: only its last, partial page is computed again.
            const fork = beam.context.fork();
            fork.fillTokens([token]);
            next.push({ context: fork, stream, text, sum });
          }
        }
        dropForks(live);
        live = next;
        next = [];
      }
      const unfinished = live.map(({ stream, text, sum }) => ranked(stream, text + stream.end(), sum));
      return bestFirst([...ended, ...cut, ...unfinished]);
    } finally {
      dropForks(live);
      dropForks(next);
    }
  });
}

/**
 * The tokens a best-of step asks for: the sampler's top-k, the likeliest alone for greedy, else the
 * likeliest 32 (what Pie's engine gives when asked for none).
 */
function askedTopK(sampler: SamplerConfig): number {
  if (sampler.tag === 'top-k' || sampler.tag === 'top-k-top-p') return sampler.val[1];
  return sampler.tag === 'greedy' ? 1 : (topKs[0] as number);
}

/**
 * The index of a token drawn from `probs` (at temperature 1, most probable first) as `sampler` draws at
 * `temperature` > 0: each probability tempered relative to the likeliest (so that a low temperature cannot
 * round them all to 0), the sampler's cut-off applied, then one drawn with the uniform draw `random`.
 */
function drawIndex(sampler: SamplerConfig, temperature: number, probs: Float32Array, random: number): number {
  const likeliest = probs[0] as number;
  const candidates = Array.from(probs, (prob, index) => ({
    id: index,
    prob: (prob / likeliest) ** (1 / temperature),
  }));
  return draw(kept(sampler, candidates), random);
}

export function bestOf(
  context: Context,
  n: number,
  sampler: SamplerConfig,
  stop: StopConditions,
): Hypothesis[] {
  const call = `${iface}.best-of`;
  return errAsText(() => {
    checkLive(context, call, 'context');
    checkCountOfAtLeastOne(call, 'n', n);
    checkSampler(call, sampler);
    checkStopConditions(call, stop);
    const topK = askedTopK(sampler);
    const temperature = temperatureOf(sampler);
    // One pass over the pending tokens; every answer's fork shares the full KV pages it wrote.
    context.flush();
    const answers = Array.from({ length: n }, () => {
      const answer = context.fork();
      try {
        const stream = new TextStream((tokens) => context.detokenize(tokens), stop);
        let text = '';
        let sum = 0;
        while (stream.tokens.length < stop.maxTokens && stream.finish === undefined) {
          // Asked at temperature 1, the probabilities are the model's, which the log-probability is of.
          const { ids, probs } = answer.predict(call, 1, topK);
          const chosen = temperature === 0 ? 0 : drawIndex(sampler, temperature, probs, answer.random());
          const token = ids[chosen] as number;
          sum += Math.log(probs[chosen] as number);
          text += stream.push(token);
          if (stream.finish === undefined) answer.fillTokens([token]);
        }
        return ranked(stream, text, sum);
      } finally {
        answer[Symbol.dispose]();
      }
    });
    return bestFirst(answers);
  });
}
