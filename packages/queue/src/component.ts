import type * as Queues from 'inferlib:queue/queues';
import type { ExportOf } from '@inferlib/support';
import { ForwardPass, Queue } from './queues.ts';

export const queues = { ForwardPass, Queue } satisfies ExportOf<typeof Queues>;
