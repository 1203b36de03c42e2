import type * as Formatter from 'inferlib:chat/formatter';
import type * as Templates from 'inferlib:chat/templates';
import type { ExportOf } from '@inferlib/support';
import { ChatFormatter } from './formatter.ts';
import { ChatTemplate } from './templates.ts';

export const formatter = { ChatFormatter } satisfies ExportOf<typeof Formatter>;
export const templates = { ChatTemplate } satisfies ExportOf<typeof Templates>;
