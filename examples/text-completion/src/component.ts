import { send } from 'inferlet:core/message';
import { complete, Generator, type StopConditions } from 'inferlib:context/generation';
import { Context } from 'inferlib:context/inference';
import { Model } from 'inferlib:model/models';
import { main } from '@inferlib/run-bindings';
import { helpText, parseOptions } from './options.ts';

type Options = NonNullable<ReturnType<typeof parseOptions>>;

/** The answer: streamed to the client, or returned with or without the end-of-turn token's text. */
function answer(context: Context, options: Options, stop: StopConditions): string {
  if (options.raw) return context.generate(options.samplerConfig, stop);
  if (!options.stream) return complete(context, options.samplerConfig, stop).text;
  const generator = new Generator(context, options.samplerConfig, stop);
  for (let step = generator.next(); step !== undefined; step = generator.next()) {
    if (step.text !== '') send(step.text);
  }
  generator[Symbol.dispose]();
  return '';
}

export const run = main((args) => {
  const options = parseOptions(args);
  if (options === undefined) return helpText;
  const model = Model.getAuto();
  const context = new Context(model);
  if (options.system !== undefined) context.fillSystem(options.system);
  context.fillUser(options.prompt);
  const prefillStart = performance.now();
  context.flush();
  const promptTokens = context.getTokenIds().length;
  const decodeStart = performance.now();
  const text = answer(context, options, {
    maxTokens: options.maxTokens,
    eosSequences: model.eosTokens(),
    stopStrings: [...options.stop],
  });
  const decodeEnd = performance.now();
  const generatedTokens = context.getTokenIds().length - promptTokens;
  const perToken = generatedTokens === 0 ? 0 : (decodeEnd - decodeStart) / generatedTokens;
  console.error(
    `[${model.getName()}: ${promptTokens} prompt tokens in ${(decodeStart - prefillStart).toFixed(1)} ms; ` +
      `${generatedTokens} tokens generated in ${(decodeEnd - decodeStart).toFixed(1)} ms, ${perToken.toFixed(2)} ms/token]`,
  );
  context[Symbol.dispose]();
  model[Symbol.dispose]();
  return text;
});
