/**
 * The `inferlib:context/inference` and `inferlib:context/generation` interfaces, in-process: what a bundler
 * alias of either import resolves to.
 */
export { Context, type ProposeDrafts } from './context.ts';
export { complete, fillTokens, fork, Generator, predict } from './generation.ts';
