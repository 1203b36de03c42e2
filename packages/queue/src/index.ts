/** The `inferlib:queue/queues` interface, in-process: what a bundler alias of that import resolves to. */
export { ForwardPass, Queue } from './queues.ts';
