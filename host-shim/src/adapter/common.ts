import { unimplementedFunctions } from '../unimplemented.ts';

/** `inferlet:adapter/common`: not provided yet by this version of the host-shim. */
export function createAdapterCommon() {
  return unimplementedFunctions('inferlet:adapter/common', [
    'setAdapter',
    'downloadAdapter',
    'uploadAdapter',
  ]);
}
