import { Context } from 'inferlib:context/inference';
import { fillToolResult, respond, setTools, type ToolChoice } from 'inferlib:context/tools';
import { Model } from 'inferlib:model/models';
import { sampler } from '@inferlib/context-bindings';
import { main, UsageError, withOptions } from '@inferlib/run-bindings';
import { definitions, runTool, toolNames } from './tools.ts';

const command = {
  summary: `tool-agent: answers a question with tools — a calculator and a table of capitals.
The model calls tools, each result is filled back, and the model goes on until it answers without a call.
Prints each call and its result, then the answer (and any reasoning).`,
  options: {
    prompt: { kind: 'text', short: 'p', help: 'the question' },
    toolChoice: {
      kind: 'choice',
      choices: ['auto', 'required', 'none', ...toolNames],
      default: 'auto',
      help: "the first turn's tool choice (a tool's name: a call to it); later turns are auto",
    },
    rounds: { kind: 'count', default: 4, min: 1, help: 'at most N turns with tool calls before the answer' },
    maxTokens: { kind: 'count', default: 128, min: 1, help: 'at most N tokens per turn' },
  },
} as const;

const choiceOf = (name: string): ToolChoice =>
  name === 'auto' || name === 'required' || name === 'none' ? { tag: name } : { tag: 'named', val: name };

export const run = main(
  withOptions(command, ({ options: { prompt, toolChoice, rounds, maxTokens } }) => {
    if (prompt === undefined) throw new UsageError('no question: give it with --prompt; see --help');
    const model = Model.getAuto();
    const context = new Context(model);
    setTools(context, JSON.stringify(definitions));
    context.fillSystem('You are a careful assistant. Use the tools for arithmetic and capitals.');
    context.fillUser(prompt);
    const transcript: string[] = [];
    let choice = choiceOf(toolChoice);
    for (let round = 0; ; round++) {
      // The last round may not call: the model has to answer with what it has.
      const turn = respond(context, sampler.greedy(), round === rounds ? { tag: 'none' } : choice, maxTokens);
      if (turn.reasoning !== undefined) transcript.push(`thinking: ${turn.reasoning}`);
      if (turn.toolCalls.length === 0) {
        transcript.push(`answer: ${turn.content}`);
        if (turn.finish === 'max-tokens') transcript.push(`(cut at ${maxTokens} tokens)`);
        break;
      }
      for (const call of turn.toolCalls) {
        const result = runTool(call.name, call.arguments);
        transcript.push(`call: ${call.name}(${call.arguments}) -> ${result}`);
        fillToolResult(context, call, result);
      }
      choice = { tag: 'auto' };
    }
    context[Symbol.dispose]();
    model[Symbol.dispose]();
    return transcript.join('\n');
  }),
);
