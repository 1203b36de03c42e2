// The host interfaces' types (`inferlet:*` modules), which the host's declarations use.
/// <reference types="@inferlib/inferlet-bindings" preserve="true" />
export { builtinModel, qwen3StyleTemplate } from './builtin-model.ts';
export { runCommand } from './cli.ts';
export type { Host, HostOptions, ImportObject, Instance, InstanceOptions } from './host.ts';
export { createHost, defaultHostVersion } from './host.ts';
export type { PassTime, SentItem } from './instance.ts';
export type { AdapterInfluence, KvEntry, LanguageModel, LogitsRequest } from './language-model.ts';
export { evaluateOneShot, referenceModel } from './language-model.ts';
export type { Limits } from './limits.ts';
export { defaultLimits } from './limits.ts';
export type { InstantiateOptions, LoadedComponent } from './load.ts';
export { defaultCacheDir, loadComponent } from './load.ts';
export type { ModelSpec, ServedModel } from './models.ts';
export type { NetworkAccess } from './network.ts';
export { HostPollable, readyPollable } from './pollable.ts';
export type { ResourceStats } from './resources.ts';
export type { RunOutcome } from './run.ts';
export { runInferlet } from './run.ts';
export type { Cutoff } from './sampling.ts';
export { distribution, SeededRandom, sampleToken } from './sampling.ts';
export type { StackMapper } from './source-map.ts';
export { loadStackMapper, sourceMapPath } from './source-map.ts';
export type { Tokenizer } from './tokenizer.ts';
export { qwen3Tokenizer } from './tokenizer.ts';
