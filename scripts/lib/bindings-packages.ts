/** The bindings packages under `packages/`, and what each one carries. */
export interface BindingsPackage {
  /** Folder under `packages/`. */
  readonly folder: string;
  /** The WIT packages a consumer gets (with their dependencies). */
  readonly witPackages: readonly string[];
  /** The interfaces whose guest types the package declares. */
  readonly interfaces: readonly string[];
}

export const bindingsPackages: readonly BindingsPackage[] = [
  {
    folder: 'inferlet-bindings',
    witPackages: ['inferlet:core', 'inferlet:adapter', 'inferlet:zo'],
    interfaces: [
      'wasi:io/error@0.2.4',
      'wasi:io/poll@0.2.4',
      'wasi:io/streams@0.2.4',
      'inferlet:core/common',
      'inferlet:core/runtime',
      'inferlet:core/forward',
      'inferlet:core/tokenize',
      'inferlet:core/kvs',
      'inferlet:core/message',
      'inferlet:adapter/common',
      'inferlet:zo/evolve',
    ],
  },
  { folder: 'run-bindings', witPackages: ['inferlib:run'], interfaces: ['inferlet:core/run'] },
  { folder: 'brle-bindings', witPackages: ['inferlib:brle'], interfaces: ['inferlib:brle/encoding'] },
  { folder: 'chat-bindings', witPackages: ['inferlib:chat'], interfaces: ['inferlib:chat/formatter'] },
  {
    folder: 'environment-bindings',
    witPackages: ['inferlib:environment'],
    interfaces: ['inferlib:environment/runtime'],
  },
  { folder: 'model-bindings', witPackages: ['inferlib:model'], interfaces: ['inferlib:model/models'] },
  { folder: 'queue-bindings', witPackages: ['inferlib:queue'], interfaces: ['inferlib:queue/queues'] },
  {
    folder: 'context-bindings',
    witPackages: ['inferlib:context'],
    interfaces: ['inferlib:context/inference'],
  },
];
