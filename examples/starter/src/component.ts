import { complete } from 'inferlib:context/generation';
import { Context } from 'inferlib:context/inference';
import { Model } from 'inferlib:model/models';
import { sampler } from '@inferlib/context-bindings';
import { main, withOptions } from '@inferlib/run-bindings';

const command = {
  summary: "starter: answers its arguments as one chat turn on the runtime's default model.",
  options: {
    maxTokens: { kind: 'count', short: 'n', default: 64, min: 1, help: 'at most N tokens in the answer' },
  },
  positionals: 'MESSAGE…',
} as const;

/** Answers its arguments, as one user turn, on the runtime's default model. */
export const run = main(
  withOptions(command, ({ options, positionals }) => {
    const model = Model.getAuto();
    const context = new Context(model);
    context.fillUser(positionals.join(' ') || 'Hello!');
    // `complete` returns the answer without the end-of-turn token, and why generation stopped.
    const { text } = complete(context, sampler.greedy(), {
      maxTokens: options.maxTokens,
      eosSequences: model.eosTokens(),
      stopStrings: [],
    });
    context[Symbol.dispose]();
    model[Symbol.dispose]();
    return text;
  }),
);
