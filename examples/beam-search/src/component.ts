import { send } from 'inferlet:core/message';
import { Context } from 'inferlib:context/inference';
import { beamSearch } from 'inferlib:context/search';
import { Model } from 'inferlib:model/models';
import { main } from '@inferlib/run-bindings';

const usage = `beam-search: answers a prompt by beam search and returns the likeliest answer found.

  -p, --prompt TEXT     the user message (default: "Say hello to the world.")
  -k, --width K         beams kept at each step (default 3)
      --max-tokens N    at most N tokens per answer (default 32)
  -h, --help            this text

Each finished beam is sent to the client with its score: the mean log-probability of its tokens.`;

function options(args: readonly string[]) {
  const values = new Map<string, string>();
  const aliases: Record<string, string> = { '-p': '--prompt', '-k': '--width' };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '-h' || arg === '--help') return undefined;
    const name = aliases[arg] ?? arg;
    if (!['--prompt', '--width', '--max-tokens'].includes(name))
      throw new Error(`unknown argument ${JSON.stringify(arg)}; see --help`);
    const value = args[++index];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    values.set(name, value);
  }
  const count = (name: string, fallback: number) => {
    const text = values.get(name);
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${name} ${text}: expected a whole number ≥ 1`);
    return value;
  };
  return {
    prompt: values.get('--prompt') ?? 'Say hello to the world.',
    width: count('--width', 3),
    maxTokens: count('--max-tokens', 32),
  };
}

export const run = main((args) => {
  const chosen = options(args);
  if (chosen === undefined) return usage;
  const model = Model.getAuto();
  const context = new Context(model);
  context.fillUser(chosen.prompt);
  const stop = { maxTokens: chosen.maxTokens, eosSequences: model.eosTokens(), stopStrings: [] };
  const hypotheses = beamSearch(context, chosen.width, stop);
  for (const { logProb, text } of hypotheses) send(`${logProb.toFixed(3)} ${JSON.stringify(text)}\n`);
  context[Symbol.dispose]();
  model[Symbol.dispose]();
  return hypotheses[0]?.text ?? '';
});
