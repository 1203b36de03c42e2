/**
 * `inferlib:context/inference`, `generation` and the other interfaces of `context`, with prompt lookup as the
 * drafter every context starts with: the context's own code, whose contexts (and their forks) propose drafts
 * from the prompt until `drafting.set-drafter` chooses another.
 */
import { Context as PlainContext, promptLookup } from '@inferlib/context';

export class Context extends PlainContext {
  static override readonly proposeDrafts = promptLookup();
}

export {
  beamSearch,
  bestOf,
  check,
  complete,
  completeStructured,
  DraftedGenerator,
  fillTokens,
  fillToolResult,
  fork,
  Generator,
  getDraftSource,
  parseTurn,
  predict,
  respond,
  StructuredGenerator,
  score,
  seedSampling,
  setAdapter,
  setAdapterSeed,
  setDrafter,
  setTools,
} from '@inferlib/context';
