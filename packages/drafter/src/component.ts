import type * as Proposer from 'inferlib:drafter/proposer';
import type { ExportOf } from '@inferlib/support';
import { maxDrafts, propose } from './index.ts';

export const proposer = { propose, maxDrafts } satisfies ExportOf<typeof Proposer>;
