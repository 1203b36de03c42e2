import { Context } from 'inferlib:context/inference';
import { score } from 'inferlib:context/search';
import { Model } from 'inferlib:model/models';
import { main } from '@inferlib/run-bindings';

const usage = `classify: scores each label as the model's answer about a text; prints them best first.

  classify [-q QUESTION] -p TEXT LABEL LABEL…

  -p, --prompt TEXT       the text to classify
  -q, --question TEXT     what to ask about it (default: "Which label fits this text best?")
  -h, --help              this text

Each line is a label's log-probability and the label: the natural log of the probability that the model
answers with exactly that label, its tokens and then the end of its turn (temperature 1).`;

function options(args: readonly string[]) {
  let prompt: string | undefined;
  let question = 'Which label fits this text best?';
  const labels: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '-h' || arg === '--help') return undefined;
    if (arg === '-p' || arg === '--prompt' || arg === '-q' || arg === '--question') {
      const value = args[++index];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      if (arg === '-p' || arg === '--prompt') prompt = value;
      else question = value;
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new Error(`unknown option ${JSON.stringify(arg)}; see --help`);
    } else {
      labels.push(arg);
    }
  }
  if (prompt === undefined) throw new Error('no text to classify: give it with --prompt; see --help');
  if (labels.length < 2)
    throw new Error(`give at least two labels to score (got ${labels.length}); see --help`);
  return { prompt, question, labels };
}

export const run = main((args) => {
  const chosen = options(args);
  if (chosen === undefined) return usage;
  const model = Model.getAuto();
  const tokenizer = model.getTokenizer();
  const [endOfTurn = new Uint32Array(0)] = model.eosTokens();
  const context = new Context(model);
  context.fillSystem(`${chosen.question} Answer with exactly one of: ${chosen.labels.join(', ')}.`);
  context.fillUser(chosen.prompt);
  // The first call runs the prompt; each later one only the label, after the prompt's last token.
  const scored = chosen.labels.map((label) => {
    const answer = Uint32Array.from([...tokenizer.tokenize(label), ...endOfTurn]);
    const logProb = score(context, answer).reduce((sum, each) => sum + each, 0);
    return { label, logProb };
  });
  scored.sort((a, b) => b.logProb - a.logProb);
  context[Symbol.dispose]();
  tokenizer[Symbol.dispose]();
  model[Symbol.dispose]();
  return scored.map(({ label, logProb }) => `${logProb.toFixed(4)} ${label}`).join('\n');
});
