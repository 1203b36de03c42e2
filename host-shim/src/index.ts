export type { Host, HostOptions, ImportObject, Instance, InstanceOptions } from './host.ts';
export { createHost, defaultHostVersion } from './host.ts';
export type { LoadedComponent } from './load.ts';
export { defaultCacheDir, loadComponent } from './load.ts';
export type { ModelSpec, ServedModel } from './models.ts';
export { HostPollable, readyPollable } from './pollable.ts';
export type { RunOutcome } from './run.ts';
export { runInferlet } from './run.ts';
