import { send } from 'inferlet:core/message';
import { Generator } from 'inferlib:context/generation';
import { Context } from 'inferlib:context/inference';
import { Model } from 'inferlib:model/models';
import { sampler } from '@inferlib/context-bindings';
import { main, UsageError, withOptions } from '@inferlib/run-bindings';

const command = {
  summary: `chat: a conversation on the runtime's default model; each argument is the user's next message, and
each answer streams to the client as it is generated.`,
  options: {
    system: { kind: 'text', help: 'a system message first' },
    maxTokens: { kind: 'count', default: 128, min: 1, help: 'at most N tokens per answer' },
    showContext: {
      kind: 'switch',
      help: "return the text the context holds at the end (the template's rendering)",
    },
  },
  positionals: 'MESSAGE…',
} as const;

export const run = main(
  withOptions(command, ({ options, positionals: messages }) => {
    if (messages.length === 0)
      throw new UsageError("no message: give the user's messages as arguments; see --help");
    const model = Model.getAuto();
    const context = new Context(model);
    if (options.system !== undefined) context.fillSystem(options.system);
    const stop = { maxTokens: options.maxTokens, eosSequences: model.eosTokens(), stopStrings: [] };
    for (const message of messages) {
      // The context closes the previous answer as the chat template closes an assistant message.
      context.fillUser(message);
      send(`> ${message}\n`);
      const answer = new Generator(context, sampler.greedy(), stop);
      for (let step = answer.next(); step !== undefined; step = answer.next()) {
        if (step.text !== '') send(step.text);
      }
      send(answer.finish() === 'max-tokens' ? ' […]\n' : '\n');
      answer[Symbol.dispose]();
    }
    const held = options.showContext ? context.getText() : '';
    context[Symbol.dispose]();
    model[Symbol.dispose]();
    return held;
  }),
);
