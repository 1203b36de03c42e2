import { unimplementedFunctions, unimplementedResource } from '../unimplemented.ts';

const iface = 'inferlet:core/tokenize';

/** `inferlet:core/tokenize`: not provided yet by this version of the host-shim. */
export function createTokenize() {
  return {
    Tokenizer: unimplementedResource(iface, 'tokenizer'),
    ...unimplementedFunctions(iface, ['getTokenizer']),
  };
}
