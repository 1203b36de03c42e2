import { send } from 'inferlet:core/message';
import { fillTokens, fork, predict } from 'inferlib:context/generation';
import { Context } from 'inferlib:context/inference';
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

interface Beam {
  readonly context: Context;
  readonly tokens: readonly number[];
  /** The sum of the log-probabilities of its tokens. */
  readonly logProbability: number;
}

/** The mean log-probability of a beam's tokens, its end of turn counted when it has one. */
const score = (logProbability: number, length: number): number => logProbability / Math.max(1, length);

export const run = main((args) => {
  const chosen = options(args);
  if (chosen === undefined) return usage;
  const model = Model.getAuto();
  const tokenizer = model.getTokenizer();
  const endOfTurn = new Set(
    model.eosTokens().flatMap((sequence) => (sequence.length === 1 ? [...sequence] : [])),
  );
  const root = new Context(model);
  root.fillUser(chosen.prompt);
  let beams: Beam[] = [{ context: root, tokens: [], logProbability: 0 }];
  const finished: { tokens: readonly number[]; score: number }[] = [];
  for (let step = 0; step < chosen.maxTokens && beams.length > 0; step++) {
    // Every continuation of every beam by one of its k likeliest tokens; the k best overall survive.
    const candidates = beams.flatMap((beam) => {
      const { ids, probs } = predict(beam.context, 1, chosen.width);
      return Array.from(ids, (token, index) => ({
        beam,
        token,
        logProbability: beam.logProbability + Math.log(probs[index] ?? 0),
      }));
    });
    candidates.sort((a, b) => b.logProbability - a.logProbability);
    const next: Beam[] = [];
    for (const { beam, token, logProbability } of candidates.slice(0, chosen.width)) {
      if (endOfTurn.has(token)) {
        finished.push({ tokens: beam.tokens, score: score(logProbability, beam.tokens.length + 1) });
        continue;
      }
      // A fork shares the beam's full KV pages: only its last, partial page is computed again.
      const context = fork(beam.context);
      fillTokens(context, Uint32Array.of(token));
      next.push({ context, tokens: [...beam.tokens, token], logProbability });
    }
    for (const beam of beams) beam.context[Symbol.dispose]();
    beams = next;
    if (finished.length >= chosen.width) break;
  }
  for (const beam of beams) {
    finished.push({ tokens: beam.tokens, score: score(beam.logProbability, beam.tokens.length) });
    beam.context[Symbol.dispose]();
  }
  finished.sort((a, b) => b.score - a.score);
  const texts = finished.map(({ tokens }) => tokenizer.detokenize(Uint32Array.from(tokens)));
  finished.forEach(({ score }, index) => {
    send(`${score.toFixed(3)} ${JSON.stringify(texts[index])}\n`);
  });
  tokenizer[Symbol.dispose]();
  model[Symbol.dispose]();
  return texts[0] ?? '';
});
