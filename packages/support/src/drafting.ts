/**
 * The one shape of a drafter, shared by the library (which runs its built-in drafters inside generation)
 * and by an app that drafts with its own code or a drafter component it imports.
 */

/**
 * Proposes draft tokens to verify in the next pass, at most `max`, from the processed and pending tokens:
 * how a speculative context decodes several tokens per pass.
 */
export interface ProposeDrafts {
  (processed: readonly number[], pending: readonly number[], max: number): number[];
  /** The most drafts one pass verifies. */
  readonly maxDrafts: number;
}
