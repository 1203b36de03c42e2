import type * as Encoding from 'inferlib:brle/encoding';
import { Brle } from './brle.ts';

export const encoding: typeof Encoding = { Brle };
