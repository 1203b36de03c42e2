import { send } from 'inferlet:core/message';
import { fillTokens, fork, predict } from 'inferlib:context/generation';
import { Context } from 'inferlib:context/inference';
import { Model } from 'inferlib:model/models';
import { main } from '@inferlib/run-bindings';

const usage = `best-of-n: answers a prompt n ways from one prefill and returns the answer the model finds likeliest.

  -p, --prompt TEXT     the user message (default: "Say hello to the world.")
  -n N                  answers to sample (default 4)
      --max-tokens N    at most N tokens per answer (default 32)
      --temperature T   sampling temperature (default 1)
      --seed S          seed of the sampling (default 1)
  -h, --help            this text

Each answer is sent to the client with its score, the mean log-probability of its tokens.`;

/** A small seeded generator (mulberry32): the same seed samples the same answers. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value ^= value + Math.imul(value ^ (value >>> 7), 61 | value);
    return ((value ^ (value >>> 14)) >>> 0) / 2 ** 32;
  };
}

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
    seed: number('--seed', 1, 0),
  };
}

export const run = main((args) => {
  const chosen = options(args);
  if (chosen === undefined) return usage;
  const model = Model.getAuto();
  const tokenizer = model.getTokenizer();
  const endOfTurn = new Set(
    model.eosTokens().flatMap((sequence) => (sequence.length === 1 ? [...sequence] : [])),
  );
  const random = seeded(chosen.seed);
  const prompt = new Context(model);
  prompt.fillUser(chosen.prompt);
  // One prefill; every answer forks from it and shares its full KV pages.
  prompt.flush();
  const answers = Array.from({ length: chosen.n }, () => {
    const answer = fork(prompt);
    const tokens: number[] = [];
    let logProbability = 0;
    for (let step = 0; step < chosen.maxTokens; step++) {
      const { ids, probs } = predict(answer, chosen.temperature, 50);
      const total = probs.reduce((sum, p) => sum + p, 0);
      let draw = random() * total;
      let pick = ids.length - 1;
      for (let index = 0; index < ids.length; index++) {
        draw -= probs[index] ?? 0;
        if (draw < 0) {
          pick = index;
          break;
        }
      }
      logProbability += Math.log((probs[pick] ?? 0) / total);
      const token = ids[pick] ?? 0;
      if (endOfTurn.has(token)) break;
      tokens.push(token);
      fillTokens(answer, Uint32Array.of(token));
    }
    answer[Symbol.dispose]();
    const text = tokenizer.detokenize(Uint32Array.from(tokens));
    return { text, score: logProbability / Math.max(1, tokens.length + 1) };
  });
  prompt[Symbol.dispose]();
  answers.forEach(({ text, score }, index) => {
    send(`[${index + 1}] ${score.toFixed(3)} ${JSON.stringify(text)}\n`);
  });
  const best = answers.reduce((a, b) => (b.score > a.score ? b : a));
  tokenizer[Symbol.dispose]();
  model[Symbol.dispose]();
  return best.text;
});
