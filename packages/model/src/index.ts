/** The `inferlib:model/models` interface, in-process: what a bundler alias of that import resolves to. */
export { Model, Tokenizer } from './models.ts';
