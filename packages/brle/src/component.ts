import type * as Encoding from 'inferlib:brle/encoding';
import { exactU32Result } from '@inferlib/support';
import { Brle } from './brle.ts';

/** The exported resource: `len()` is checked with `exactU32Result` (see there why). */
class ComponentBrle extends Brle {
  override len(): number {
    return exactU32Result(super.len(), 'brle.len');
  }
}

export const encoding: typeof Encoding = { Brle: ComponentBrle };
