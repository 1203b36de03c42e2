import type { Limits } from './limits.ts';
import type { ServedModel } from './models.ts';
import type { ResourceRegistry, ResourceTable } from './resources.ts';
import type { SeededRandom } from './sampling.ts';

/** Something the inferlet sent to its remote client. */
export type SentItem =
  | { readonly kind: 'message'; readonly text: string }
  | { readonly kind: 'blob'; readonly bytes: Uint8Array };

/** One forward pass as the host saw it. */
export interface PassTime {
  readonly instanceId: string;
  readonly inputs: number;
  /** Input positions the pass samples or gives distributions at: all of them in a decoding pass, fewer in a prompt's. */
  readonly outputs: number;
  /**
   * Sampled tokens the guest read from its result: a token asked for only so that Pie answers the pass
   * (the queue asks one of every pass) is never read.
   */
  readonly tokensRead: number;
  /** How long the host itself computed it (simulated latency not included). */
  readonly ms: number;
  /** `performance.now()` when `execute` was called, and when its result was ready (latency included). */
  readonly startedAt: number;
  readonly readyAt: number;
}

/** A topic subscription's queue of broadcast messages. */
export interface TopicQueue {
  readonly messages: string[];
}

/** What the host knows of one running inferlet. */
export interface InstanceState {
  readonly id: string;
  /** What it may take. */
  readonly limits: Limits;
  readonly args: readonly string[];
  /** The last value the inferlet passed to `set-return`. */
  returnValue: string | undefined;
  readonly resources: ResourceTable;
  /** The instance's sampling generator, seeded from the host's seed and the instance's number. */
  readonly random: SeededRandom;
  /** Messages and blobs from the remote client, not yet received. */
  readonly inbox: string[];
  readonly blobInbox: Uint8Array[];
  readonly sent: SentItem[];
  readonly onSend: ((item: SentItem) => void) | undefined;
  /**
   * Per served model, the last forward pass executed that asked for no output, while no pass asking for
   * output has followed it: Pie's batcher would hand that pass's empty response to the next output pass.
   */
  readonly unconfirmedPasses: Map<string, string>;
  /** Bytes the inferlet has handed the host to keep so far (`Limits.outputBytes`). */
  outputBytes: number;
}

/** What every instance of one host shares. */
export interface HostState {
  readonly version: string;
  readonly models: readonly ServedModel[];
  /** The `inferlet:core/kvs` store. */
  readonly store: Map<string, string>;
  readonly resources: ResourceRegistry;
  /** Subscriptions of every instance, by topic. */
  readonly topics: Map<string, Set<TopicQueue>>;
  /** Simulated device time of one forward pass, in milliseconds. */
  readonly forwardLatencyMs: number;
  /** The host's own compute time of each forward pass, for benchmarks to subtract. */
  readonly passTimes: PassTime[];
  /** Adapter weights saved by `download-adapter`, by name. */
  readonly adapterCheckpoints: Map<string, Uint8Array>;
}
