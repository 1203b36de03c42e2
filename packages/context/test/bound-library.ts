/** The context library's sources in Node, bound to a fresh host-shim instance: shared by its tests. */
import type * as Adapters from 'inferlib:context/adapters';
import type * as Drafting from 'inferlib:context/drafting';
import type * as Generation from 'inferlib:context/generation';
import type * as Inference from 'inferlib:context/inference';
import type * as Search from 'inferlib:context/search';
import type * as Structured from 'inferlib:context/structured';
import type * as Tools from 'inferlib:context/tools';
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
  readonly tools: typeof Tools;
  readonly drafting: typeof Drafting;
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
  const tools = await import('inferlib:context/tools');
  const drafting = await import('inferlib:context/drafting');
  return {
    host,
    instance,
    model: Model.getAuto(),
    Context,
    generation,
    structured,
    search,
    adapters,
    tools,
    drafting,
  };
}

/** `messages` rendered by `template`, as a model's chat template renders them. */
export function renderWith(
  template: string,
  messages: readonly Message[],
  prompt: boolean,
  beginOfSequence: boolean,
): string {
  const formatter = new ChatFormatter(template);
  const adders = {
    system: (content: string) => formatter.addSystem(content),
    user: (content: string) => formatter.addUser(content),
    assistant: (content: string) => formatter.addAssistant(content),
    tool: (content: string) => formatter.addTool(content),
  };
  for (const { role, content } of messages) adders[role](content);
  return formatter.render(prompt, beginOfSequence);
}

/** The `err` text a call throws (a string, as a `result` export throws it). */
export function errOf(attempt: () => unknown): string {
  try {
    attempt();
  } catch (thrown) {
    if (typeof thrown !== 'string') throw new Error(`not an err string: ${String(thrown)}`);
    return thrown;
  }
  throw new Error('no err');
}
