import { unimplementedFunctions, unimplementedResource } from '../unimplemented.ts';

const iface = 'inferlet:core/message';

/** `inferlet:core/message`: not provided yet by this version of the host-shim. */
export function createMessage() {
  return {
    Subscription: unimplementedResource(iface, 'subscription'),
    ReceiveResult: unimplementedResource(iface, 'receive-result'),
    ...unimplementedFunctions(iface, [
      'send',
      'receive',
      'sendBlob',
      'receiveBlob',
      'broadcast',
      'subscribe',
    ]),
  };
}
