import type * as Inference from 'inferlib:context/inference';
import type { ExportOf } from '@inferlib/support';
import { Context } from './context.ts';

export const inference = { Context } satisfies ExportOf<typeof Inference>;
