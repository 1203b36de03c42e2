/**
 * Prompt lookup: the last few tokens are looked up earlier in the context, and what followed them there is
 * proposed as the next tokens. Text that repeats its prompt (quotes, code edits, summaries) is then decoded
 * several tokens per forward pass, each draft checked by the same pass.
 */
import type { ProposeDrafts } from '@inferlib/support';

export interface PromptLookupOptions {
  /** The most drafts one pass verifies. */
  readonly maxDrafts: number;
  /** Matches up to this many tokens long are preferred; the latest of the longest wins. */
  readonly longestMatch: number;
}

/** What `context-pld` drafts with, and what issue 12 measured. */
export const promptLookupDefaults: PromptLookupOptions = { maxDrafts: 8, longestMatch: 3 };

/**
 * A prompt-lookup drafter. One scan back for the last token, each hit extended backwards: one comparison per
 * earlier token, since a JS engine inside a component runs this interpreted at every step.
 */
export function promptLookup({
  maxDrafts,
  longestMatch,
}: PromptLookupOptions = promptLookupDefaults): ProposeDrafts {
  const propose = (processed: readonly number[], pending: readonly number[], max: number): number[] => {
    const length = processed.length + pending.length;
    const at = (index: number): number =>
      (index < processed.length ? processed[index] : pending[index - processed.length]) as number;
    const last = at(length - 1);
    let best = -1;
    let bestSize = 0;
    for (let end = length - 2; end >= 0 && bestSize < longestMatch; end--) {
      if (at(end) !== last) continue;
      let size = 1;
      while (size < longestMatch && end - size >= 0 && at(end - size) === at(length - 1 - size)) size++;
      if (size > bestSize) {
        best = end;
        bestSize = size;
      }
    }
    const drafts: number[] = [];
    if (best === -1) return drafts;
    for (let index = best + 1; index < length && drafts.length < max; index++) drafts.push(at(index));
    return drafts;
  };
  return Object.assign(propose, { maxDrafts });
}
