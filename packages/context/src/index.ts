/**
 * The `inferlib:context/inference`, `generation`, `structured`, `search`, `adapters` and `tools` interfaces, in-process: what a bundler alias
 * of any of these imports resolves to.
 */
export { setAdapter, setAdapterSeed } from './adapters.ts';
export { Context } from './context.ts';
export { DraftedGenerator, getDraftSource, setDrafter } from './drafting.ts';
export { complete, fillTokens, fork, Generator, predict } from './generation.ts';
export { promptLookup } from './prompt-lookup.ts';
export { beamSearch, bestOf, score } from './search.ts';
export { check, completeStructured, StructuredGenerator, seedSampling } from './structured.ts';
export { fillToolResult, parseTurn, respond, setTools } from './tools.ts';
