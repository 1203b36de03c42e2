import type * as Models from 'inferlib:model/models';
import type { ExportOf } from '@inferlib/support';
import { Model, Tokenizer } from './models.ts';

export const models = { Model, Tokenizer } satisfies ExportOf<typeof Models>;
