import type * as Formatter from 'inferlib:chat/formatter';
import type { ExportOf } from '@inferlib/support';
import { ChatFormatter } from './formatter.ts';

export const formatter = { ChatFormatter } satisfies ExportOf<typeof Formatter>;
