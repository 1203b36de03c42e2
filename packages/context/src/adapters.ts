/**
 * `inferlib:context/adapters`: the adapter (and its seed) a context's passes run with, kept on the context and
 * set on each of its forward passes; forks inherit them.
 */
import { checkLive } from '@inferlib/support';
import { errAsText } from './checks.ts';
import type { Context } from './context.ts';

const iface = 'inferlib:context/adapters';

export function setAdapter(context: Context, adapterPointer: number | undefined): void {
  const call = `${iface}.set-adapter`;
  errAsText(() => {
    checkLive(context, call, 'context');
    context.setAdapter(adapterPointer);
  });
}

export function setAdapterSeed(context: Context, seed: bigint | undefined): void {
  const call = `${iface}.set-adapter-seed`;
  errAsText(() => {
    checkLive(context, call, 'context');
    context.setAdapterSeed(seed);
  });
}
