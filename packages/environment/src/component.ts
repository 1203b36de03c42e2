import type * as Runtime from 'inferlib:environment/runtime';
import * as environment from './index.ts';

export const runtime: typeof Runtime = environment;
