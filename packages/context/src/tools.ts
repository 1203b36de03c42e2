/**
 * `inferlib:context/tools`: tools offered, tool results filled, and the assistant's turn generated and parsed
 * into reasoning, text and tool calls in the syntax of the model's family (`turn-syntax.ts`). A tool call is
 * written as the model's family writes one, its arguments generated under the tool's parameters schema.
 */
import type { FinishReason } from 'inferlib:context/generation';
import type { SamplerConfig } from 'inferlib:context/inference';
import type { ToolCall, ToolChoice, Turn } from 'inferlib:context/tools';
import type { Constraint } from 'inferlib:grammar/matcher';
import { checkLive } from '@inferlib/support';
import { checkCount, checkSampler, errAsText } from './checks.ts';
import type { Context } from './context.ts';
import { generateCompletion } from './generation.ts';
import { StructuredGenerator } from './structured.ts';
import {
  opensReasoning,
  type ParsedTurn,
  type Tool,
  type TurnSyntax,
  thinkClose,
  thinkOpen,
} from './turn-syntax.ts';

const iface = 'inferlib:context/tools';

export function setTools(context: Context, tools: string): void {
  const call = `${iface}.set-tools`;
  errAsText(() => {
    checkLive(context, call, 'context');
    context.setTools(call, tools);
  });
}

export function fillToolResult(context: Context, toolCall: ToolCall, content: string): void {
  const call = `${iface}.fill-tool-result`;
  errAsText(() => {
    checkLive(context, call, 'context');
    const offered = context.tools?.tools;
    if (offered !== undefined && !offered.some((tool) => tool.name === toolCall.name)) {
      throw new Error(
        `${call}: the call names ${JSON.stringify(toolCall.name)}, which is no tool set-tools offered`,
      );
    }
    context.fillToolResult(call, toolCall, content);
  });
}

/** A parsed turn as the WIT record: `reasoning` absent rather than undefined. */
function turnOf({ reasoning, content, toolCalls }: ParsedTurn, finish: FinishReason): Turn {
  return { ...(reasoning === undefined ? {} : { reasoning }), content, toolCalls, finish };
}

export function parseTurn(context: Context, text: string): Turn {
  checkLive(context, `${iface}.parse-turn`, 'context');
  const inReasoning = opensReasoning(context.generationPrompt ?? '');
  return turnOf(context.turnSyntax().parse(text, inReasoning), 'eos-sequence');
}

/** The tool a choice forces the turn to begin with a call to: one of `tools` (`null`), or a named one. */
function forcedTool(call: string, choice: ToolChoice, tools: readonly Tool[]): Tool | null | undefined {
  if (choice.tag === 'auto' || choice.tag === 'none') return undefined;
  if (tools.length === 0)
    throw new Error(`${call}: choice ${choice.tag} asks for a call, but set-tools offered no tools`);
  if (choice.tag === 'required') return null;
  const tool = tools.find((each) => each.name === choice.val);
  if (tool === undefined) {
    throw new Error(
      `${call}: choice named ${JSON.stringify(choice.val)} is no tool set-tools offered (${tools.map((each) => each.name).join(', ')})`,
    );
  }
  return tool;
}

/** The assistant's turn as it is written: its text, what is left of `max-tokens`, and how it ended. */
class TurnWriter {
  readonly #call: string;
  readonly #context: Context;
  readonly #sampler: SamplerConfig;
  readonly #syntax: TurnSyntax;
  readonly #limit: number;
  text = '';
  finish: FinishReason | undefined;
  /** The start of the next markup that the last constrained text's tokens wrote already. */
  #written = '';

  constructor(call: string, context: Context, sampler: SamplerConfig, maxTokens: number) {
    this.#call = call;
    this.#context = context;
    this.#sampler = sampler;
    this.#syntax = context.turnSyntax();
    this.#limit = context.tokenCount() + maxTokens;
  }

  get #budget(): number {
    return this.#limit - this.#context.tokenCount();
  }

  /** Markup as the tokenizer tokenizes it, control tokens formed; cut at the budget. */
  markup(markup: string): void {
    if (this.finish !== undefined) return;
    if (!markup.startsWith(this.#written)) {
      throw new Error(
        `the markup ${JSON.stringify(markup)} does not go on from ${JSON.stringify(this.#written)}`,
      );
    }
    const text = markup.slice(this.#written.length);
    this.#written = '';
    if (text === '') return;
    const tokens = [...this.#context.tokenize(text)];
    const fitting = tokens.slice(0, this.#budget);
    this.#context.appendGenerated(fitting);
    this.text +=
      fitting.length === tokens.length ? text : this.#context.detokenize(Uint32Array.from(fitting));
    if (fitting.length < tokens.length) this.finish = 'max-tokens';
  }

  /**
   * Text generated under `constraint`, which more of the turn follows, starting with `followedBy`;
   * `undefined` once the budget is spent.
   */
  constrained(constraint: Constraint, followedBy = ''): string | undefined {
    if (this.finish !== undefined) return undefined;
    const generator = new StructuredGenerator(
      this.#context,
      this.#sampler,
      constraint,
      this.#budget,
      this.#call,
      {
        followedBy,
      },
    );
    let text = '';
    for (let step = generator.next(); step !== undefined; step = generator.next()) text += step.text;
    this.text += text;
    this.#written = generator.spilled;
    if (generator.finish() !== 'max-tokens') return text.slice(0, text.length - this.#written.length);
    this.finish = 'max-tokens';
    return undefined;
  }

  /** A call to `tool` (any of `tools` for `undefined`), written as the family writes one. */
  writeCall(tools: readonly Tool[], tool: Tool | undefined): void {
    if (this.#budget === 0) this.finish = 'max-tokens';
    if (this.finish !== undefined) return;
    this.#syntax.writeCall(this, tools, tool, this.text);
    if (this.finish === undefined && this.#syntax.callEndsTurn) this.#endTurn();
  }

  /** The model's end of turn after a call that ends it, unless the call's markup ended with one. */
  #endTurn(): void {
    const endOfTurn = this.#context.endOfTurn();
    const ids = this.#context.getTokenIds();
    if (!endOfTurn.includes(ids[ids.length - 1] as number)) {
      const [token] = endOfTurn;
      if (token !== undefined && this.#budget > 0) this.#context.appendGenerated([token]);
    }
    this.finish = 'eos-sequence';
  }

  /**
   * Generates as the model writes until its end of turn, one of `stops` (taken back: the context holds the
   * text before it) or the budget; which stop string ended it, the first in the text.
   */
  generate(stops: readonly string[]): { finish: FinishReason; stoppedAt?: string } {
    const { text, tokens, finish } = generateCompletion(this.#call, this.#context, this.#sampler, {
      maxTokens: this.#budget,
      eosSequences: this.#context.endOfTurn().map((token) => Uint32Array.of(token)),
      stopStrings: [...stops],
    });
    this.text += text;
    if (finish !== 'stop-string') return { finish };
    const written = this.#context.detokenize(tokens);
    const found = stops
      .map((stop) => ({ stop, at: written.indexOf(stop) }))
      .filter(({ at }) => at !== -1)
      .sort((a, b) => a.at - b.at);
    return { finish, ...(found[0] === undefined ? {} : { stoppedAt: found[0].stop }) };
  }
}

export function respond(
  context: Context,
  sampler: SamplerConfig,
  choice: ToolChoice,
  maxTokens: number,
): Turn {
  const call = `${iface}.respond`;
  return errAsText(() => {
    checkLive(context, call, 'context');
    checkSampler(call, sampler);
    checkCount(call, 'max-tokens', maxTokens);
    const tools = context.tools?.tools ?? [];
    const forced = forcedTool(call, choice, tools);
    const syntax = context.turnSyntax();
    const inReasoning = opensReasoning(context.generationPrompt ?? '');
    const writer = new TurnWriter(call, context, sampler, maxTokens);
    /**
     * Where the turn is: in reasoning (R1's prompt opens it; others open it with `<think>` at the start), or
     * not. A call opener the model writes inside its reasoning is no call: while reasoning, only its end is
     * watched for. A reasoning tag ends generation as a stop string, which takes it back: it is written again
     * as markup (the control token the model writes).
     */
    let reasoning: 'before' | 'open' | 'done' = inReasoning ? 'open' : 'before';
    const opener = tools.length === 0 ? undefined : syntax.callOpener;
    for (let forcing = forced !== undefined; writer.finish === undefined; ) {
      if (forcing && reasoning !== 'open') {
        writer.writeCall(tools, forced ?? undefined);
        forcing = false;
        continue;
      }
      const watchesThinking = syntax.thinksInTags && reasoning === 'before' && writer.text.trim() === '';
      const stops =
        reasoning === 'open'
          ? [thinkClose]
          : [...(watchesThinking ? [thinkOpen] : []), ...(opener === undefined ? [] : [opener])];
      const { finish, stoppedAt } = writer.generate(stops);
      if (finish !== 'stop-string') writer.finish = finish;
      else if (stoppedAt === thinkOpen) {
        writer.markup(thinkOpen);
        reasoning = 'open';
      } else if (stoppedAt === thinkClose) {
        // R1 writes its answer after a blank line; a forced call follows the reasoning as the model's would.
        writer.markup(forcing ? `${thinkClose}\n\n` : thinkClose);
        reasoning = 'done';
      } else if (choice.tag === 'none') writer.finish = 'stop-string';
      else writer.writeCall(tools, undefined);
    }
    const parsed = syntax.parse(writer.text, inReasoning);
    if (choice.tag === 'none' && parsed.toolCalls.length > 0) {
      // Families with no call opener: what the model wrote stays its text.
      return turnOf(
        { reasoning: parsed.reasoning, content: writer.text.trim(), toolCalls: [] },
        writer.finish,
      );
    }
    return turnOf(parsed, writer.finish);
  });
}
