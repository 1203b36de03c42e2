import type * as Encoding from 'inferlib:brle/encoding';
import { Brle } from './brle.ts';

const largestExactU32Result = 0x7fff_ffff;

/**
 * The exported resource. componentize-js 0.23 corrupts a scalar `u32` result of 2^31 or more (it lowers
 * the low bits of the number's double representation), so such a length traps with a message instead of
 * reaching the caller as a wrong number. Lists of `u32` are not affected.
 */
class ComponentBrle extends Brle {
  override len(): number {
    const length = super.len();
    if (length > largestExactU32Result) {
      throw new Error(
        `brle.len: a length of ${length} (2^31 or more) cannot be returned exactly by this component`,
      );
    }
    return length;
  }
}

export const encoding: typeof Encoding = { Brle: ComponentBrle };
