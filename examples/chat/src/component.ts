import { send } from 'inferlet:core/message';
import { Generator } from 'inferlib:context/generation';
import { Context } from 'inferlib:context/inference';
import { Model } from 'inferlib:model/models';
import { main } from '@inferlib/run-bindings';

const usage = `chat: a conversation on the runtime's default model; each argument is the user's next message, and
each answer streams to the client as it is generated.

  --system TEXT        a system message first
  --max-tokens N       at most N tokens per answer (default 128)
  --show-context       return the text the context holds at the end (the template's rendering)
  -h, --help           this text`;

interface Options {
  readonly system: string | undefined;
  readonly maxTokens: number;
  readonly showContext: boolean;
  readonly messages: readonly string[];
}

function parse(args: readonly string[]): Options | undefined {
  let system: string | undefined;
  let maxTokens = 128;
  let showContext = false;
  const messages: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '-h' || arg === '--help') return undefined;
    if (arg === '--show-context') showContext = true;
    else if (arg === '--system' || arg === '--max-tokens') {
      const value = args[++index];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      if (arg === '--system') system = value;
      else {
        maxTokens = Number(value);
        if (!Number.isInteger(maxTokens) || maxTokens < 1)
          throw new Error(`--max-tokens ${value}: expected a whole number ≥ 1`);
      }
    } else if (arg.startsWith('--')) throw new Error(`unknown option ${JSON.stringify(arg)}; see --help`);
    else messages.push(arg);
  }
  if (messages.length === 0) throw new Error("no message: give the user's messages as arguments; see --help");
  return { system, maxTokens, showContext, messages };
}

export const run = main((args) => {
  const options = parse(args);
  if (options === undefined) return usage;
  const model = Model.getAuto();
  const context = new Context(model);
  if (options.system !== undefined) context.fillSystem(options.system);
  const stop = { maxTokens: options.maxTokens, eosSequences: model.eosTokens(), stopStrings: [] };
  for (const message of options.messages) {
    // The context closes the previous answer as the chat template closes an assistant message.
    context.fillUser(message);
    send(`> ${message}\n`);
    const answer = new Generator(context, { tag: 'greedy' }, stop);
    for (let step = answer.next(); step !== undefined; step = answer.next()) {
      if (step.text !== '') send(step.text);
    }
    send(answer.finish() === 'max-tokens' ? ' […]\n' : '\n');
    answer[Symbol.dispose]();
  }
  const held = options.showContext ? context.getText() : '';
  context[Symbol.dispose]();
  model[Symbol.dispose]();
  return held;
});
