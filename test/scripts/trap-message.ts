/**
 * Makes a library component trap on purpose and exits: `trap-message.ts no-models` (model get-auto with no
 * model served), `unknown-model` (queue from-model-name) or `render-error` (chat render of a failing template). The trap's message is what the
 * component printed to stderr, which the calling test reads.
 */

import type * as Formatter from 'inferlib:chat/formatter';
import type * as Models from 'inferlib:model/models';
import type * as Queues from 'inferlib:queue/queues';
import { builtinModel, createHost } from '@inferlib/host-shim';
import { loadBuilt } from '../helpers/components.ts';

const scenario = process.argv[2];
try {
  if (scenario === 'no-models') {
    const component = await loadBuilt('packages', 'model');
    const exports = await component.instantiate(createHost({ models: [] }).createInstance().imports);
    (exports.models as typeof Models).Model.getAuto();
  } else if (scenario === 'unknown-model') {
    const component = await loadBuilt('packages', 'queue');
    const exports = await component.instantiate(
      createHost({ models: [builtinModel] }).createInstance().imports,
    );
    (exports.queues as typeof Queues).Queue.fromModelName('gpt-17');
  } else if (scenario === 'render-error') {
    const component = await loadBuilt('packages', 'chat');
    const exports = await component.instantiate(createHost({ models: [] }).createInstance().imports);
    new (exports.formatter as typeof Formatter).ChatFormatter("{{ messages[0]['role'] }}").render(
      true,
      false,
    );
  } else {
    throw new Error(`unknown scenario ${scenario}`);
  }
  console.log('no trap');
} catch (error) {
  console.log(`trapped: ${error instanceof Error ? error.constructor.name : typeof error}`);
}
