import type * as Generation from 'inferlib:context/generation';
import type * as Inference from 'inferlib:context/inference';
import type { ExportOf } from '@inferlib/support';
import { Context, complete, fillTokens, fork, Generator, predict } from './index.ts';

export const inference = { Context } satisfies ExportOf<typeof Inference>;
export const generation = { Generator, complete, fork, predict, fillTokens } satisfies ExportOf<
  typeof Generation
>;
