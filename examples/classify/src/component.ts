import { Context } from 'inferlib:context/inference';
import { score } from 'inferlib:context/search';
import { Model } from 'inferlib:model/models';
import { main, UsageError, withOptions } from '@inferlib/run-bindings';

const command = {
  summary: `classify: scores each label as the model's answer about a text; prints them best first.
Each line is a label's log-probability and the label: the natural log of the probability that the model
answers with exactly that label, its tokens and then the end of its turn (temperature 1).`,
  options: {
    prompt: { kind: 'text', short: 'p', help: 'the text to classify' },
    question: {
      kind: 'text',
      short: 'q',
      default: 'Which label fits this text best?',
      help: 'what to ask about it',
    },
  },
  positionals: 'LABEL LABEL…',
} as const;

export const run = main(
  withOptions(command, ({ options: { prompt, question }, positionals: labels }) => {
    if (prompt === undefined) throw new UsageError('no text to classify: give it with --prompt; see --help');
    if (labels.length < 2)
      throw new UsageError(`give at least two labels to score (got ${labels.length}); see --help`);
    const model = Model.getAuto();
    const tokenizer = model.getTokenizer();
    const [endOfTurn = new Uint32Array(0)] = model.eosTokens();
    const context = new Context(model);
    context.fillSystem(`${question} Answer with exactly one of: ${labels.join(', ')}.`);
    context.fillUser(prompt);
    // The first call runs the prompt; each later one only the label, after the prompt's last token.
    const scored = labels.map((label) => {
      const answer = Uint32Array.from([...tokenizer.tokenize(label), ...endOfTurn]);
      const logProb = score(context, answer).reduce((sum, each) => sum + each, 0);
      return { label, logProb };
    });
    scored.sort((a, b) => b.logProb - a.logProb);
    context[Symbol.dispose]();
    tokenizer[Symbol.dispose]();
    model[Symbol.dispose]();
    return scored.map(({ label, logProb }) => `${logProb.toFixed(4)} ${label}`).join('\n');
  }),
);
