/** The context library's sources in Node, bound to a fresh host-shim instance: shared by its tests. */
import type * as Adapters from 'inferlib:context/adapters';
import type * as Generation from 'inferlib:context/generation';
import type * as Inference from 'inferlib:context/inference';
import type * as Search from 'inferlib:context/search';
import type * as Structured from 'inferlib:context/structured';
import type * as Models from 'inferlib:model/models';
import { vi } from 'vitest';
import { bindHost } from '../../../cli/src/linking.ts';
import {
  builtinModel,
  createHost,
  type Host,
  type Instance,
  type ModelSpec,
} from '../../../host-shim/src/index.ts';
import { ChatFormatter } from '../../chat/src/formatter.ts';
import type { Message } from '../src/conversation.ts';

export interface BoundLibrary {
  readonly host: Host;
  readonly instance: Instance;
  readonly model: Models.Model;
  readonly Context: typeof Inference.Context;
  readonly generation: typeof Generation;
  readonly structured: typeof Structured;
  readonly search: typeof Search;
  readonly adapters: typeof Adapters;
}

/** A fresh host instance serving `spec`, and a copy of the library's sources bound to it. */
export async function loadBoundLibrary(spec: ModelSpec = builtinModel): Promise<BoundLibrary> {
  const host = createHost({ models: [spec] });
  const instance = host.createInstance();
  vi.resetModules();
  bindHost(instance.imports);
  const { Model } = await import('inferlib:model/models');
  const { Context } = await import('inferlib:context/inference');
  const generation = await import('inferlib:context/generation');
  const structured = await import('inferlib:context/structured');
  const search = await import('inferlib:context/search');
  const adapters = await import('inferlib:context/adapters');
  return { host, instance, model: Model.getAuto(), Context, generation, structured, search, adapters };
}

/** `messages` rendered by `template`, as a model's chat template renders them. */
export function renderWith(
  template: string,
  messages: readonly Message[],
  prompt: boolean,
  beginOfSequence: boolean,
): string {
  const formatter = new ChatFormatter(template);
  for (const { role, content } of messages) {
    if (role === 'system') formatter.addSystem(content);
    else if (role === 'user') formatter.addUser(content);
    else formatter.addAssistant(content);
  }
  return formatter.render(prompt, beginOfSequence);
}
