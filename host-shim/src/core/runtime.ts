import type * as Runtime from 'inferlet:core/runtime';
import type { HostState, InstanceState } from '../instance.ts';
import type { CommonImports } from './common.ts';

/** Answers of `debug-query`: the runtime's own state, as text. */
function answerDebugQuery(host: HostState, instance: InstanceState, query: string): string {
  switch (query.trim()) {
    case 'version':
      return host.version;
    case 'instance-id':
      return instance.id;
    case 'models':
      return host.models.map((model) => model.name).join('\n');
    default:
      return `unknown debug query ${JSON.stringify(query)}; known: version, instance-id, models`;
  }
}

/** `inferlet:core/runtime` for one inferlet instance. */
export function createRuntime(
  host: HostState,
  instance: InstanceState,
  common: CommonImports,
): typeof Runtime {
  return {
    getVersion: () => host.version,
    getInstanceId: () => instance.id,
    getArguments: () => [...instance.args],
    setReturn: (value) => {
      instance.returnValue = value;
    },
    getModel: (name) => {
      const served = host.models.find((model) => model.name === name);
      return served === undefined ? undefined : new common.Model(served);
    },
    getAllModels: () => host.models.map((model) => model.name),
    getAllModelsWithTraits: (traits) =>
      host.models
        .filter((model) => traits.every((trait) => model.traits.includes(trait)))
        .map((model) => model.name),
    debugQuery: (query) => new common.DebugQueryResult(answerDebugQuery(host, instance, query)),
  };
}
