import { unimplementedFunctions, unimplementedResource } from '../unimplemented.ts';

const iface = 'inferlet:core/forward';

/** `inferlet:core/forward`: not provided yet by this version of the host-shim. */
export function createForward() {
  return {
    ForwardPass: unimplementedResource(iface, 'forward-pass'),
    ForwardPassResult: unimplementedResource(iface, 'forward-pass-result'),
    ...unimplementedFunctions(iface, [
      'createForwardPass',
      'attentionMask',
      'kvCache',
      'inputEmbeddings',
      'inputTokens',
      'outputEmbeddings',
      'outputDistributions',
      'outputTokens',
      'outputTokensTopK',
      'outputTokensTopP',
      'outputTokensMinP',
      'outputTokensTopKTopP',
    ]),
  };
}
