import { send } from 'inferlet:core/message';
import { Context } from 'inferlib:context/inference';
import { beamSearch } from 'inferlib:context/search';
import { Model } from 'inferlib:model/models';
import { main, withOptions } from '@inferlib/run-bindings';

const command = {
  summary: `beam-search: answers a prompt by beam search and returns the likeliest answer found.
Each finished beam is sent to the client with its score: the mean log-probability of its tokens.`,
  options: {
    prompt: { kind: 'text', short: 'p', default: 'Say hello to the world.', help: 'the user message' },
    width: { kind: 'count', short: 'k', default: 3, min: 1, help: 'beams kept at each step' },
    maxTokens: { kind: 'count', default: 32, min: 1, help: 'at most N tokens per answer' },
  },
} as const;

export const run = main(
  withOptions(command, ({ options: { prompt, width, maxTokens } }) => {
    const model = Model.getAuto();
    const context = new Context(model);
    context.fillUser(prompt);
    const stop = { maxTokens, eosSequences: model.eosTokens(), stopStrings: [] };
    const hypotheses = beamSearch(context, width, stop);
    for (const { logProb, text } of hypotheses) send(`${logProb.toFixed(3)} ${JSON.stringify(text)}\n`);
    context[Symbol.dispose]();
    model[Symbol.dispose]();
    return hypotheses[0]?.text ?? '';
  }),
);
