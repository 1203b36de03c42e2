import type { ServedModel } from './models.ts';

/** What the host knows of one running inferlet. */
export interface InstanceState {
  readonly id: string;
  readonly args: readonly string[];
  /** The last value the inferlet passed to `set-return`. */
  returnValue: string | undefined;
}

/** What every instance of one host shares. */
export interface HostState {
  readonly version: string;
  readonly models: readonly ServedModel[];
  /** The `inferlet:core/kvs` store. */
  readonly store: Map<string, string>;
}
