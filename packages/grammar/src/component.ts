import type * as Matcher from 'inferlib:grammar/matcher';
import type { ExportOf } from '@inferlib/support';
import { check, Grammar, Matcher as TextMatcher } from './matcher.ts';

export const matcher = { check, Grammar, Matcher: TextMatcher } satisfies ExportOf<typeof Matcher>;
