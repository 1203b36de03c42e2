import type * as Adapters from 'inferlib:context/adapters';
import type * as Drafting from 'inferlib:context/drafting';
import type * as Generation from 'inferlib:context/generation';
import type * as Inference from 'inferlib:context/inference';
import type * as Search from 'inferlib:context/search';
import type * as Structured from 'inferlib:context/structured';
import type * as Tools from 'inferlib:context/tools';
import type { ExportOf } from '@inferlib/support';
import {
  beamSearch,
  bestOf,
  Context,
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
} from './index.ts';

export const inference = { Context } satisfies ExportOf<typeof Inference>;
export const generation = { Generator, complete, fork, predict, fillTokens } satisfies ExportOf<
  typeof Generation
>;
export const structured = { check, completeStructured, StructuredGenerator, seedSampling } satisfies ExportOf<
  typeof Structured
>;
export const search = { score, beamSearch, bestOf } satisfies ExportOf<typeof Search>;
export const adapters = { setAdapter, setAdapterSeed } satisfies ExportOf<typeof Adapters>;
export const tools = { setTools, fillToolResult, respond, parseTurn } satisfies ExportOf<typeof Tools>;
export const drafting = { setDrafter, getDraftSource, DraftedGenerator } satisfies ExportOf<typeof Drafting>;
