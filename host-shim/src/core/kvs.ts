import type * as Kvs from 'inferlet:core/kvs';
import type { HostState } from '../instance.ts';
import type { CommonImports } from './common.ts';

/** `inferlet:core/kvs`: one store for every inferlet of the host. */
export function createKvs(host: HostState, common: CommonImports): typeof Kvs {
  return {
    storeGet: (key) => host.store.get(key),
    storeSet: (key, value) => {
      common.takeMessage('inferlet:core/kvs.store-set', 'a key-value entry', key + value);
      host.store.set(key, value);
    },
    storeDelete: (key) => {
      host.store.delete(key);
    },
    storeExists: (key) => host.store.has(key),
    storeListKeys: () => [...host.store.keys()],
  };
}
