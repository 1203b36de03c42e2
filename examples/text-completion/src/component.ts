import { Context } from 'inferlib:context/inference';
import { Model } from 'inferlib:model/models';
import { main } from '@inferlib/run-bindings';
import { parseOptions, usage } from './options.ts';

export const run = main((args) => {
  const options = parseOptions(args);
  if (options.help) return usage;
  const model = Model.getAuto();
  const context = new Context(model);
  if (options.system !== undefined) context.fillSystem(options.system);
  context.fillUser(options.prompt);
  const prefillStart = performance.now();
  context.flush();
  const promptTokens = context.getTokenIds().length;
  const decodeStart = performance.now();
  const text = context.generate(options.sampler, {
    maxTokens: options.maxTokens,
    eosSequences: model.eosTokens(),
  });
  const decodeEnd = performance.now();
  // generate re-runs the last prompt token (flushed above) to predict the first new one.
  const generatedTokens = context.getTokenIds().length - (promptTokens - 1);
  const perToken = generatedTokens === 0 ? 0 : (decodeEnd - decodeStart) / generatedTokens;
  console.error(
    `[${model.getName()}: ${promptTokens} prompt tokens in ${(decodeStart - prefillStart).toFixed(1)} ms; ` +
      `${generatedTokens} tokens generated in ${(decodeEnd - decodeStart).toFixed(1)} ms, ${perToken.toFixed(2)} ms/token]`,
  );
  context[Symbol.dispose]();
  model[Symbol.dispose]();
  return text;
});
