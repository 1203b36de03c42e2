/** The `inferlib:brle/encoding` interface, in-process: what a bundler alias of that import resolves to. */
export { Brle } from './brle.ts';
