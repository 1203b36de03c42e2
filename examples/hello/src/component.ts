import { getInstanceId } from 'inferlib:environment/runtime';
import { main } from '@inferlib/run-bindings';
import { greeting } from './greeting.ts';

export const run = main((names) => {
  if (names.includes('--fail')) throw new Error('asked to fail with --fail');
  return `${greeting(names)} (from inferlet ${getInstanceId()})`;
});
