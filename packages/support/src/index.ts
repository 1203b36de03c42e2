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

/** `getTokenIds` → `get-token-ids`: a method's name as the WIT spells it. */
const witName = (method: string): string => method.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** Every resource object dropped so far, of every class `refuseAfterDrop` guards. */
const dropped = new WeakSet<object>();

/** Refuses `call` on `resource` (a `noun` such as `context`) when it was dropped. */
export function checkLive(resource: object, call: string, noun: string): void {
  if (dropped.has(resource)) throw new Error(`${call}: the ${noun} was dropped`);
}

/**
 * Makes every method of a resource class refuse to run on an object that was dropped, naming the resource
 * and the call, and a second drop fail. Between components the canonical ABI refuses a dropped handle; in
 * one engine (the single-engine build, Node) nothing else would, and a dropped object would go on using
 * host resources it has freed. `resource` is the resource's full name, `inferlib:context/inference.context`.
 */
export function refuseAfterDrop(resourceClass: { readonly prototype: object }, resource: string): void {
  const noun = resource.slice(resource.lastIndexOf('.') + 1);
  const prototype = resourceClass.prototype;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const method = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
    if (name === 'constructor' || typeof method !== 'function') continue;
    const call = `${resource}.${witName(name)}`;
    Object.defineProperty(prototype, name, {
      value(this: object, ...args: unknown[]): unknown {
        if (dropped.has(this)) throw new Error(`${call}: the ${noun} was dropped`);
        return method.apply(this, args);
      },
      writable: true,
      configurable: true,
    });
  }
  const dispose = Object.getOwnPropertyDescriptor(prototype, Symbol.dispose)?.value as unknown;
  if (typeof dispose !== 'function') throw new Error(`refuseAfterDrop: ${resource} has no Symbol.dispose`);
  Object.defineProperty(prototype, Symbol.dispose, {
    value(this: object): void {
      if (dropped.has(this)) throw new Error(`${resource}: dropped twice`);
      dropped.add(this);
      dispose.call(this);
    },
    writable: true,
    configurable: true,
  });
}

/** `target.push(...source)` for any length: a spread of a long prompt's tokens overflows the call stack. */
export function pushAll(target: number[], source: ArrayLike<number>): void {
  for (let index = 0; index < source.length; index++) target.push(source[index] as number);
}
export { byteLevelCodePoints, byteLevelEnd } from './byte-level.ts';
export type { ProposeDrafts } from './drafting.ts';
export { SeededRandom } from './random.ts';
export {
  countProblem,
  type SamplerValues,
  samplerProblem,
  temperatureProblem,
  topKProblem,
} from './samplers.ts';
export { utf8Sequence } from './utf8.ts';
