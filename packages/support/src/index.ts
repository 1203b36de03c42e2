const largestExactU32Result = 0x7fff_ffff;

/**
 * A scalar `u32` result checked for the componentize-js 0.23 defect: such a result of 2^31 or more reaches
 * the caller corrupted (the low bits of the number's double representation are lowered). It throws — a
 * trap with this message — rather than let a wrong number through. Lists of `u32` are not affected.
 */
export function exactU32Result(value: number, call: string): number {
  if (value > largestExactU32Result) {
    throw new Error(`${call}: ${value} (2^31 or more) cannot be returned exactly by this component`);
  }
  return value;
}

/**
 * What a component's export object must provide for an interface `M` (`typeof import('pkg:x/y')`):
 * functions as declared, and for each resource class its statics and instance members. The construct
 * signature is left out: guest types declare host-made resources with a private, argument-less
 * constructor, while the implementation's constructor takes what it wraps.
 */
export type ExportOf<M> = {
  [K in keyof M]: M[K] extends { prototype: unknown } ? Pick<M[K], keyof M[K]> : M[K];
};
