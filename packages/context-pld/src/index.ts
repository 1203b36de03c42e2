/**
 * `inferlib:context/inference` and `inferlib:context/generation` with prompt-lookup speculative decoding:
 * the context's own code, whose contexts (and their forks) propose drafts from the prompt.
 */
import { Context as PlainContext } from '@inferlib/context';
import { promptLookup } from './prompt-lookup.ts';

export class Context extends PlainContext {
  static override readonly proposeDrafts = promptLookup;
}

export {
  beamSearch,
  bestOf,
  check,
  complete,
  completeStructured,
  fillTokens,
  fillToolResult,
  fork,
  Generator,
  parseTurn,
  predict,
  respond,
  StructuredGenerator,
  score,
  seedSampling,
  setAdapter,
  setAdapterSeed,
  setTools,
} from '@inferlib/context';
