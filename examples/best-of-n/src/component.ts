import { send } from 'inferlet:core/message';
import { Context } from 'inferlib:context/inference';
import { bestOf } from 'inferlib:context/search';
import { seedSampling } from 'inferlib:context/structured';
import { Model } from 'inferlib:model/models';
import { sampler } from '@inferlib/context-bindings';
import { main } from '@inferlib/run-bindings';

const usage = `best-of-n: answers a prompt n ways from one prefill and returns the answer the model finds likeliest.

  -p, --prompt TEXT     the user message (default: "Say hello to the world.")
  -n N                  answers to sample (default 4)
      --max-tokens N    at most N tokens per answer (default 32)
      --temperature T   sampling temperature (default 1)
      --seed S          seed of the sampling (default 1)
  -h, --help            this text

Each answer is sent to the client with its score, the mean log-probability of its tokens, best first.`;

function options(args: readonly string[]) {
  const values = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '-h' || arg === '--help') return undefined;
    const name = arg === '-p' ? '--prompt' : arg;
    if (!['--prompt', '-n', '--max-tokens', '--temperature', '--seed'].includes(name))
      throw new Error(`unknown argument ${JSON.stringify(arg)}; see --help`);
    const value = args[++index];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    values.set(name, value);
  }
  const number = (name: string, fallback: number, least: number) => {
    const text = values.get(name);
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value < least)
      throw new Error(`${name} ${text}: expected a number ≥ ${least}`);
    return value;
  };
  return {
    prompt: values.get('--prompt') ?? 'Say hello to the world.',
    n: Math.floor(number('-n', 4, 1)),
    maxTokens: Math.floor(number('--max-tokens', 32, 1)),
    temperature: number('--temperature', 1, 0.01),
    seed: Math.floor(number('--seed', 1, 0)),
  };
}

export const run = main((args) => {
  const chosen = options(args);
  if (chosen === undefined) return usage;
  const model = Model.getAuto();
  const context = new Context(model);
  context.fillUser(chosen.prompt);
  seedSampling(context, BigInt.asUintN(64, BigInt(chosen.seed)));
  // One prefill; each answer is sampled in a fork sharing its full KV pages.
  const stop = { maxTokens: chosen.maxTokens, eosSequences: model.eosTokens(), stopStrings: [] };
  const answers = bestOf(context, chosen.n, sampler.topK({ temperature: chosen.temperature, k: 50 }), stop);
  answers.forEach(({ logProb, text }, index) => {
    send(`[${index + 1}] ${logProb.toFixed(3)} ${JSON.stringify(text)}\n`);
  });
  context[Symbol.dispose]();
  model[Symbol.dispose]();
  return answers[0]?.text ?? '';
});
