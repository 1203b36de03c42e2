/** `inferlib:drafter/proposer`, in-process: prompt lookup with its defaults (8 drafts, matches of 3). */
import { countProblem, promptLookup } from '@inferlib/support';

const drafter = promptLookup();

export function propose(processed: Uint32Array, pending: Uint32Array, max: number): Uint32Array {
  const problem = countProblem('max', max);
  if (problem !== undefined) throw new Error(`inferlib:drafter/proposer.propose: ${problem}`);
  return Uint32Array.from(drafter(Array.from(processed), Array.from(pending), max));
}

export function maxDrafts(): number {
  return drafter.maxDrafts;
}
