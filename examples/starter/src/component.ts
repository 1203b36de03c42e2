import { Context } from 'inferlib:context/inference';
import { Model } from 'inferlib:model/models';
import { main } from '@inferlib/run-bindings';

/** Answers its arguments, as one user turn, on the runtime's default model. */
export const run = main((args) => {
  const model = Model.getAuto();
  const context = new Context(model);
  context.fillUser(args.join(' ') || 'Hello!');
  const answer = context.generate({ tag: 'greedy' }, { maxTokens: 64, eosSequences: model.eosTokens() });
  context[Symbol.dispose]();
  model[Symbol.dispose]();
  return answer;
});
