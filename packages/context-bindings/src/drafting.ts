/**
 * Generation whose drafts the app proposes: with its own code, or with a drafter component it imports (its
 * `propose` wrapped as a `ProposeDrafts`). The drafter runs here, in the app, and each batch of its drafts is
 * verified by one forward pass of `inferlib:context/drafting`'s `drafted-generator`: a component cannot call
 * back into the app, so the app drives the loop. The app's world imports `inferlib:context/drafting`.
 */
import { DraftedGenerator, getDraftSource } from 'inferlib:context/drafting';
import type { Completion, StopConditions } from 'inferlib:context/generation';
import type { Context, SamplerConfig } from 'inferlib:context/inference';
import { type ProposeDrafts, pushAll } from '@inferlib/support';

export type { ProposeDrafts } from '@inferlib/support';

/** What the drafter proposed, refused when it breaks its contract: a draft is a token id, `max` at most. */
function checkedDrafts(drafts: readonly number[], max: number): readonly number[] {
  const call = 'completeWithDrafter';
  if (drafts.length > max)
    throw new Error(`${call}: the drafter proposed ${drafts.length} drafts, more than max ${max}`);
  drafts.forEach((draft, index) => {
    if (!Number.isInteger(draft) || draft < 0 || draft >= 2 ** 32) {
      throw new Error(
        `${call}: the drafter proposed drafts[${index}] ${draft}, which is not a token id (a u32)`,
      );
    }
  });
  return drafts;
}

/**
 * Generates from `context` as `generation.complete` does (the same text, tokens and finish), each pass
 * verifying what `propose` drafts from the context's tokens: at most its `maxDrafts`, and no more than
 * `max-tokens` leaves room for. Greedy output is the same whatever it drafts.
 */
export function completeWithDrafter(
  context: Context,
  sampler: SamplerConfig,
  stop: StopConditions,
  propose: ProposeDrafts,
): Completion {
  const generator = new DraftedGenerator(context, sampler, stop);
  try {
    // The drafter's view of the context, kept here as the steps come instead of asked for at each pass.
    const source = getDraftSource(context);
    const processed = [...source.processed];
    let pending = [...source.pending];
    let text = '';
    const tokens: number[] = [];
    for (;;) {
      const max = Math.max(0, Math.min(propose.maxDrafts, stop.maxTokens - tokens.length - 1));
      const drafts = max > 0 ? checkedDrafts(propose(processed, pending, max), max) : [];
      const steps = generator.next(Uint32Array.from(drafts));
      const last = steps.at(-1);
      if (last === undefined) break;
      pushAll(processed, pending);
      for (const step of steps) {
        text += step.text;
        tokens.push(step.token);
      }
      pushAll(
        processed,
        steps.slice(0, -1).map((step) => step.token),
      );
      pending = [last.token];
    }
    return { text, tokens: Uint32Array.from(tokens), finish: generator.finish() ?? 'max-tokens' };
  } finally {
    generator[Symbol.dispose]();
  }
}
