import { Context } from 'inferlib:context/inference';
import { completeStructured } from 'inferlib:context/structured';
import { Model } from 'inferlib:model/models';
import { main } from '@inferlib/run-bindings';

const usage = `choose: classifies a text by one of the given labels; the model can answer nothing else.

  choose [-q QUESTION] -p TEXT LABEL LABEL…

  -p, --prompt TEXT       the text to classify
  -q, --question TEXT     what to ask about it (default: "Which label fits this text best?")
  -h, --help              this text

Returns the label the model finds likeliest, letter for letter.`;

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
    throw new Error(`give at least two labels to choose from (got ${labels.length}); see --help`);
  return { prompt, question, labels };
}

export const run = main((args) => {
  const chosen = options(args);
  if (chosen === undefined) return usage;
  const model = Model.getAuto();
  const context = new Context(model);
  context.fillSystem(`${chosen.question} Answer with exactly one of: ${chosen.labels.join(', ')}.`);
  context.fillUser(chosen.prompt);
  // Greedy: the likeliest label the model can write; what is left once a label is unique is filled in.
  const longest = Math.max(...chosen.labels.map((label) => label.length));
  const choice = { tag: 'choice', val: chosen.labels } as const;
  const { text, finish } = completeStructured(context, { tag: 'greedy' }, choice, longest + 1);
  context[Symbol.dispose]();
  model[Symbol.dispose]();
  if (finish === 'max-tokens') throw new Error(`no label was complete after ${longest + 1} tokens: ${text}`);
  return text;
});
