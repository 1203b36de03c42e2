import { unimplementedFunctions } from '../unimplemented.ts';

/** `inferlet:zo/evolve`: not provided yet by this version of the host-shim. */
export function createZoEvolve() {
  return unimplementedFunctions('inferlet:zo/evolve', [
    'setAdapterSeed',
    'initializeAdapter',
    'updateAdapter',
  ]);
}
