import type * as Common from 'inferlet:core/common';
import type * as Forward from 'inferlet:core/forward';
import type { CommonImports } from '../core/common.ts';
import type { ForwardImports } from '../core/forward.ts';
import type { HostState, InstanceState } from '../instance.ts';

const iface = 'inferlet:adapter/common';

/**
 * `inferlet:adapter/common`: an adapter slot's weights are bytes; `upload-adapter` sets them from a blob,
 * `download-adapter` saves them on the host under a name (Pie's worker writes a checkpoint; nothing comes
 * back to the guest), and a pass with `set-adapter` has its logits perturbed by them.
 */
export function createAdapterCommon(
  host: HostState,
  instance: InstanceState,
  common: CommonImports,
  forward: ForwardImports,
) {
  const slot = (call: string, queue: Common.Queue, pointer: number) =>
    common.resolveOnQueue(`${iface}.${call}`, queue, 2, pointer);
  return {
    setAdapter(pass: Forward.ForwardPass, adapterPtr: number): void {
      const plan = forward.planOf('set-adapter', pass);
      host.resources.resolve(`${iface}.set-adapter`, instance, plan.queue.model, 2, adapterPtr);
      plan.adapterPointer = adapterPtr;
    },
    downloadAdapter(queue: Common.Queue, adapterPtr: number, name: string): void {
      const { weights } = slot('download-adapter', queue, adapterPtr);
      if (weights === undefined) {
        throw new Error(
          `${iface}.download-adapter: adapter pointer ${adapterPtr} (${JSON.stringify(name)}) has no weights yet`,
        );
      }
      host.adapterCheckpoints.set(name, Uint8Array.from(weights));
    },
    uploadAdapter(queue: Common.Queue, adapterPtr: number, name: string, blob: Common.Blob): void {
      if (!(blob instanceof common.Blob))
        throw new Error(`${iface}.upload-adapter: the blob is not one this host made`);
      if (blob.bytes.length === 0)
        throw new Error(`${iface}.upload-adapter: adapter ${JSON.stringify(name)} is an empty blob`);
      slot('upload-adapter', queue, adapterPtr).weights = Uint8Array.from(blob.bytes);
    },
  };
}
