import type * as Adapters from 'inferlib:context/adapters';
import type * as Drafting from 'inferlib:context/drafting';
import type * as Generation from 'inferlib:context/generation';
import type * as Inference from 'inferlib:context/inference';
import type * as Search from 'inferlib:context/search';
import type * as Structured from 'inferlib:context/structured';
import type * as Tools from 'inferlib:context/tools';
import type { ExportOf } from '@inferlib/support';
import { setAdapter, setAdapterSeed } from './adapters.ts';
import { Context } from './context.ts';
import { DraftedGenerator, getDraftSource, setDrafter } from './drafting.ts';
import { complete, fillTokens, fork, Generator, predict } from './generation.ts';
import { beamSearch, bestOf, score } from './search.ts';
import { check, completeStructured, StructuredGenerator, seedSampling } from './structured.ts';
import { fillToolResult, parseTurn, respond, setTools } from './tools.ts';

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
