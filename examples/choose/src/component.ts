import { Context } from 'inferlib:context/inference';
import { completeStructured } from 'inferlib:context/structured';
import { Model } from 'inferlib:model/models';
import { sampler } from '@inferlib/context-bindings';
import { main, UsageError, withOptions } from '@inferlib/run-bindings';

const command = {
  summary: `choose: classifies a text by one of the given labels; the model can answer nothing else.
Returns the label the model finds likeliest, letter for letter.`,
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
      throw new UsageError(`give at least two labels to choose from (got ${labels.length}); see --help`);
    const model = Model.getAuto();
    const context = new Context(model);
    context.fillSystem(`${question} Answer with exactly one of: ${labels.join(', ')}.`);
    context.fillUser(prompt);
    // Greedy: the likeliest label the model can write; what is left once a label is unique is filled in.
    const longest = Math.max(...labels.map((label) => label.length));
    const choice = { tag: 'choice', val: labels } as const;
    const { text, finish } = completeStructured(context, sampler.greedy(), choice, longest + 1);
    context[Symbol.dispose]();
    model[Symbol.dispose]();
    if (finish === 'max-tokens')
      throw new Error(`no label was complete after ${longest + 1} tokens: ${text}`);
    return text;
  }),
);
