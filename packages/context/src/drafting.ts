/**
 * `inferlib:context/drafting`: the drafter a context's generation runs (chosen at run time), and generation
 * whose drafts the caller proposes, each batch verified by one forward pass (`Context.nextToken`).
 */
import type {
  DrafterChoice,
  DraftSource,
  FinishReason,
  SamplerConfig,
  Step,
  StopConditions,
} from 'inferlib:context/drafting';
import { checkLive, type ProposeDrafts, refuseAfterDrop } from '@inferlib/support';
import { checkCountOfAtLeastOne, errAsText } from './checks.ts';
import type { Context } from './context.ts';
import { type Generation, startGeneration } from './generation.ts';
import { promptLookup } from './prompt-lookup.ts';

const iface = 'inferlib:context/drafting';

/** The built-in drafter `choice` names, its options checked. */
function drafterOf(call: string, choice: DrafterChoice): ProposeDrafts | undefined {
  switch (choice.tag) {
    case 'none':
      return undefined;
    case 'prompt-lookup':
      checkCountOfAtLeastOne(call, 'max-drafts', choice.val.maxDrafts);
      checkCountOfAtLeastOne(call, 'longest-match', choice.val.longestMatch);
      return promptLookup(choice.val);
  }
}

export function setDrafter(context: Context, drafter: DrafterChoice): void {
  const call = `${iface}.set-drafter`;
  errAsText(() => {
    checkLive(context, call, 'context');
    context.setDrafter(drafterOf(call, drafter));
  });
}

export function getDraftSource(context: Context): DraftSource {
  const call = `${iface}.get-draft-source`;
  return errAsText(() => {
    checkLive(context, call, 'context');
    const { processed, pending } = context.draftSource();
    return { processed: Uint32Array.from(processed), pending: Uint32Array.from(pending) };
  });
}

/**
 * Refuses a draft outside the model's vocabulary before a pass embeds it (Pie's engine would index past its
 * embedding table). The vocabulary is fetched once per model, at the first drafts checked.
 */
function checkDrafts(call: string, context: Context, drafts: Uint32Array): void {
  if (drafts.length === 0) return;
  const size = context.vocabularySize();
  const outside = drafts.findIndex((token) => token >= size);
  if (outside !== -1) {
    throw new Error(
      `${call}: drafts[${outside}] is token ${drafts[outside]}, outside the model's vocabulary (${size} tokens)`,
    );
  }
}

export class DraftedGenerator {
  readonly #context: Context;
  /** The generation, or the error its arguments made, which is the `err` of the first `next`. */
  readonly #generation: Generation | string;

  constructor(context: Context, sampler: SamplerConfig, stop: StopConditions) {
    this.#context = context;
    this.#generation = startGeneration(`${iface}.drafted-generator`, context, sampler, stop);
  }

  /** The steps of one pass verifying `drafts`: those it accepted and the token after them, up to a stop. */
  next(drafts: Uint32Array): Step[] {
    const generation = this.#generation;
    if (typeof generation === 'string') throw generation;
    const call = `${iface}.drafted-generator.next`;
    return errAsText(() => {
      checkLive(this.#context, call, 'context it generates from');
      checkDrafts(call, this.#context, drafts);
      const steps: Step[] = [];
      let step = generation.next(call, Array.from(drafts));
      while (step !== undefined) {
        steps.push(step);
        // The tokens the pass generated beyond the first are handed out now; none once a stop gave them back.
        step = this.#context.hasTokensAhead() ? generation.next(call) : undefined;
      }
      return steps;
    });
  }

  finish(): FinishReason | undefined {
    return typeof this.#generation === 'string' ? undefined : this.#generation.finish();
  }

  [Symbol.dispose](): void {
    // Nothing held beyond the context, which stays its user's.
  }
}

refuseAfterDrop(DraftedGenerator, `${iface}.drafted-generator`);
