/**
 * Run with `node --expose-gc --import tsx`: makes the brle component trap while JS still holds its
 * resources, lets them be collected, and exits 0 only if the process survived jco's finalizers.
 */

import type * as Encoding from 'inferlib:brle/encoding';
import { createHost } from '@inferlib/host-shim';
import { loadBuilt } from '../helpers/components.ts';

const component = await loadBuilt('packages', 'brle');
const { encoding } = (await component.instantiate(createHost({ models: [] }).createInstance().imports)) as {
  encoding: typeof Encoding;
};
let held: Encoding.Brle[] = Array.from({ length: 50 }, (_, size) => new encoding.Brle(size));
let trapped = false;
try {
  new encoding.Brle(2 ** 31).len();
} catch {
  trapped = true;
}
held = [];
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error('run with --expose-gc');
for (let round = 0; round < 5; round++) {
  collect();
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log(JSON.stringify({ trapped, held: held.length }));
