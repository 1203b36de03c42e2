import { send } from 'inferlet:core/message';
import { Context } from 'inferlib:context/inference';
import { bestOf } from 'inferlib:context/search';
import { seedSampling } from 'inferlib:context/structured';
import { Model } from 'inferlib:model/models';
import { sampler } from '@inferlib/context-bindings';
import { main, withOptions } from '@inferlib/run-bindings';

const command = {
  summary: `best-of-n: answers a prompt n ways from one prefill and returns the answer the model finds likeliest.
Each answer is sent to the client with its score, the mean log-probability of its tokens, best first.`,
  options: {
    prompt: { kind: 'text', short: 'p', default: 'Say hello to the world.', help: 'the user message' },
    answers: { kind: 'count', short: 'n', default: 4, min: 1, help: 'answers to sample' },
    maxTokens: { kind: 'count', default: 32, min: 1, help: 'at most N tokens per answer' },
    temperature: { kind: 'number', default: 1, min: 0.01, help: 'sampling temperature' },
    seed: { kind: 'count', default: 1, help: 'seed of the sampling' },
  },
} as const;

export const run = main(
  withOptions(command, ({ options }) => {
    const model = Model.getAuto();
    const context = new Context(model);
    context.fillUser(options.prompt);
    seedSampling(context, BigInt(options.seed));
    // One prefill; each answer is sampled in a fork sharing its full KV pages.
    const stop = { maxTokens: options.maxTokens, eosSequences: model.eosTokens(), stopStrings: [] };
    const chosen = sampler.topK({ temperature: options.temperature, k: 50 });
    const answers = bestOf(context, options.answers, chosen, stop);
    answers.forEach(({ logProb, text }, index) => {
      send(`[${index + 1}] ${logProb.toFixed(3)} ${JSON.stringify(text)}\n`);
    });
    context[Symbol.dispose]();
    model[Symbol.dispose]();
    return answers[0]?.text ?? '';
  }),
);
