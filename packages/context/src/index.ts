/** The `inferlib:context/inference` interface, in-process: what a bundler alias of that import resolves to. */
export { Context } from './context.ts';
