/**
 * How a model family writes an assistant turn: its reasoning, its text and its tool calls. One syntax per
 * family of Pie's chat templates, chosen by the markup its template holds (`syntaxOf`): each parses a turn
 * the model wrote (`parse`) and writes a tool call the way the model would (`writeCall`, for generation
 * under the tool's parameters schema). A table rather than markers derived from rendering: Pie's R1 and
 * GPT-OSS templates render no tool calls of what the contract's formatter passes (and GPT-OSS no
 * reasoning), so their markup is nowhere to derive.
 */
import type { ToolCall } from 'inferlib:context/tools';
import type { Constraint } from 'inferlib:grammar/matcher';

export type { ToolCall };

export interface ParsedTurn {
  readonly reasoning: string | undefined;
  readonly content: string;
  readonly toolCalls: ToolCall[];
}

/** A tool the conversation offers: its name and its parameters' JSON Schema (as JSON text). */
export interface Tool {
  readonly name: string;
  readonly parameters: string;
}

/** Where a call is written: markup the tokenizer tokenizes (control tokens form), and constrained text. */
export interface CallWriter {
  markup(text: string): void;
  /**
   * Generates text under `constraint`, which the plain text `followedBy` follows (the next markup's start:
   * the model may write the match's end and it in one token); returns the match, or `undefined` when
   * `max-tokens` cut it.
   */
  constrained(constraint: Constraint, followedBy?: string): string | undefined;
}

export interface TurnSyntax {
  readonly family: string;
  /**
   * The text a model starts a tool call with, distinct from prose: generation without a forced call stops
   * there and writes the call under the constraint. `undefined` where calls are plain JSON (Llama 3) or
   * take a header the model may spell several ways (GPT-OSS): there the turn is parsed as written.
   */
  readonly callOpener: string | undefined;
  /** Whether a written call ends the turn (the model's next token would be its end of turn). */
  readonly callEndsTurn: boolean;
  /** Whether the family reasons in `<think>` tags (GPT-OSS has a channel instead). */
  readonly thinksInTags: boolean;
  /** A call as the model writes it, for the system prompt of a template that renders no `tools`. */
  readonly callExample: string;
  parse(text: string, inReasoning: boolean): ParsedTurn;
  /** Writes one call to `tool` (any of `tools` when `undefined`), after `before` (the turn so far). */
  writeCall(writer: CallWriter, tools: readonly Tool[], tool: Tool | undefined, before: string): void;
}

export const thinkOpen = '<think>';
export const thinkClose = '</think>';

/** The reasoning of a turn written in `<think>` tags, and the rest; empty reasoning is none. */
function splitThinking(text: string, inReasoning: boolean): { reasoning: string | undefined; rest: string } {
  let body = text;
  if (!inReasoning) {
    const start = text.trimStart();
    if (!start.startsWith(thinkOpen)) return { reasoning: undefined, rest: text };
    body = start.slice(thinkOpen.length);
  }
  const close = body.indexOf(thinkClose);
  const reasoning = (close === -1 ? body : body.slice(0, close)).trim();
  return {
    reasoning: reasoning === '' ? undefined : reasoning,
    rest: close === -1 ? '' : body.slice(close + thinkClose.length),
  };
}

/** A parsed JSON object, or `undefined` when `text` is none. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Arguments as compact JSON object text: an object as it is, or a string holding one; else `undefined`. */
function argumentsText(value: unknown): string | undefined {
  const object = typeof value === 'string' ? jsonObject(value) : value;
  return typeof object === 'object' && object !== null && !Array.isArray(object)
    ? JSON.stringify(object)
    : undefined;
}

/** A call from a JSON object holding the name and the arguments under `argumentsKeys` (the first present). */
function callOfObject(
  object: Record<string, unknown>,
  argumentsKeys: readonly string[],
): ToolCall | undefined {
  const { name, id } = object;
  const key = argumentsKeys.find((each) => each in object);
  if (typeof name !== 'string' || key === undefined) return undefined;
  const args = argumentsText(object[key]);
  if (args === undefined) return undefined;
  return { ...(typeof id === 'string' ? { id } : {}), name, arguments: args };
}

/** Text pieces outside the calls, trimmed and joined: the turn's content. */
const joinContent = (pieces: readonly string[]): string =>
  pieces
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '')
    .join('\n');

const schemaOf = (tool: Tool): unknown => JSON.parse(tool.parameters);

/** The JSON Schema of an object `{"name": …, <argumentsKey>: …}` calling one of `tools` (or `tool`). */
function callSchema(tools: readonly Tool[], tool: Tool | undefined, argumentsKey: string): unknown {
  const one = (each: Tool) => ({
    type: 'object',
    properties: { name: { const: each.name }, [argumentsKey]: schemaOf(each) },
    required: ['name', argumentsKey],
    additionalProperties: false,
  });
  return tool !== undefined ? one(tool) : { anyOf: tools.map(one) };
}

const schemaConstraint = (schema: unknown): Constraint => ({
  tag: 'json-schema',
  val: JSON.stringify(schema),
});

/** The name of a call written outside its JSON: `tool`'s, or a choice among `tools`; `undefined` if cut. */
function writeName(
  writer: CallWriter,
  tools: readonly Tool[],
  tool: Tool | undefined,
  followedBy: string,
): Tool | undefined {
  if (tool !== undefined) {
    writer.markup(tool.name);
    return tool;
  }
  const name = writer.constrained({ tag: 'choice', val: tools.map((each) => each.name) }, followedBy);
  if (name === undefined) return undefined;
  const chosen = tools.find((each) => each.name === name);
  if (chosen === undefined) throw new Error(`the constrained tool name ${JSON.stringify(name)} is no tool`);
  return chosen;
}

const argumentsConstraint = (tool: Tool): Constraint => ({ tag: 'json-schema', val: tool.parameters });

/** Qwen 2.5, Qwen 3 and Hermes: `<tool_call>\n{"name": …, "arguments": …}\n</tool_call>`. */
const hermes: TurnSyntax = {
  family: 'hermes',
  callOpener: '<tool_call>',
  callEndsTurn: false,
  thinksInTags: true,
  callExample: '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>',
  parse(text, inReasoning) {
    const { reasoning, rest } = splitThinking(text, inReasoning);
    const pieces: string[] = [];
    const toolCalls: ToolCall[] = [];
    let at = 0;
    for (;;) {
      const open = rest.indexOf('<tool_call>', at);
      const close = open === -1 ? -1 : rest.indexOf('</tool_call>', open);
      const call =
        close === -1 ? undefined : jsonObject(rest.slice(open + '<tool_call>'.length, close).trim());
      const parsed = call === undefined ? undefined : callOfObject(call, ['arguments', 'parameters']);
      if (parsed === undefined) {
        pieces.push(rest.slice(at));
        break;
      }
      pieces.push(rest.slice(at, open));
      toolCalls.push(parsed);
      at = close + '</tool_call>'.length;
    }
    return { reasoning, content: joinContent(pieces), toolCalls };
  },
  writeCall(writer, tools, tool, before) {
    writer.markup(before === '' || before.endsWith('\n') ? '<tool_call>\n' : '\n<tool_call>\n');
    writer.constrained(schemaConstraint(callSchema(tools, tool, 'arguments')), '\n');
    writer.markup('\n</tool_call>');
  },
};

/** Llama 3: the turn is the calls, JSON objects `{"name": …, "parameters": …}` one after another. */
const llama3: TurnSyntax = {
  family: 'llama3',
  callOpener: undefined,
  callEndsTurn: false,
  thinksInTags: true,
  callExample: '{"name": <function-name>, "parameters": <args-json-object>}',
  parse(text, inReasoning) {
    const { reasoning, rest } = splitThinking(text, inReasoning);
    const body = rest.trim().replace(/^<\|python_tag\|>/, '');
    const toolCalls: ToolCall[] = [];
    for (const piece of splitJsonObjects(body) ?? []) {
      const object = jsonObject(piece);
      const call = object === undefined ? undefined : callOfObject(object, ['parameters', 'arguments']);
      if (call === undefined) return { reasoning, content: rest.trim(), toolCalls: [] };
      toolCalls.push(call);
    }
    return { reasoning, content: toolCalls.length === 0 ? rest.trim() : '', toolCalls };
  },
  writeCall(writer, tools, tool, before) {
    if (before.trim() !== '' && !before.endsWith('\n')) writer.markup('\n');
    writer.constrained(schemaConstraint(callSchema(tools, tool, 'parameters')));
  },
};

/** Top-level JSON objects separated by whitespace or `;`; `undefined` when `text` is not only those. */
function splitJsonObjects(text: string): string[] | undefined {
  const objects: string[] = [];
  let at = 0;
  while (at < text.length) {
    while (at < text.length && /[\s;]/.test(text[at] as string)) at++;
    if (at === text.length) break;
    if (text[at] !== '{') return undefined;
    const end = objectEnd(text, at);
    if (end === undefined) return undefined;
    objects.push(text.slice(at, end));
    at = end;
  }
  return objects;
}

/** The end of the JSON object that starts at `start` (braces counted outside strings). */
function objectEnd(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let at = start; at < text.length; at++) {
    const char = text[at];
    if (inString) {
      if (char === '\\') at++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return at + 1;
  }
  return undefined;
}

const r1 = {
  callsBegin: '<｜tool▁calls▁begin｜>',
  callBegin: '<｜tool▁call▁begin｜>',
  separator: '<｜tool▁sep｜>',
  callEnd: '<｜tool▁call▁end｜>',
  callsEnd: '<｜tool▁calls▁end｜>',
};

/**
 * DeepSeek R1: `<｜tool▁calls▁begin｜>` then per call `<｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME`, its
 * arguments in a JSON code block, `<｜tool▁call▁end｜>`; the generation prompt opens the reasoning.
 */
const deepseekR1: TurnSyntax = {
  family: 'deepseek-r1',
  callOpener: r1.callBegin,
  callEndsTurn: false,
  thinksInTags: true,
  callExample: `${r1.callsBegin}${r1.callBegin}function${r1.separator}<function-name>\n\`\`\`json\n<args-json-object>\n\`\`\`${r1.callEnd}${r1.callsEnd}`,
  parse(text, inReasoning) {
    const { reasoning, rest } = splitThinking(text, inReasoning);
    const begin = rest.indexOf(r1.callsBegin);
    const toolCalls: ToolCall[] = [];
    const pieces = [begin === -1 ? rest : rest.slice(0, begin)];
    if (begin !== -1) {
      const calls = rest.slice(begin + r1.callsBegin.length);
      const pattern = new RegExp(
        `${r1.callBegin}\\s*(\\w+)\\s*${r1.separator}\\s*([^\\n]+?)\\s*\\n\`\`\`(?:json)?\\s*([\\s\\S]*?)\\s*\`\`\`\\s*${r1.callEnd}`,
        'g',
      );
      let parsedUpTo = 0;
      for (const match of calls.matchAll(pattern)) {
        const args = argumentsText(match[3]);
        if (args === undefined) break;
        toolCalls.push({ name: match[2] as string, arguments: args });
        parsedUpTo = match.index + match[0].length;
      }
      const after = calls.slice(parsedUpTo).replace(r1.callsEnd, '');
      if (toolCalls.length === 0) pieces[0] = rest;
      else pieces.push(after);
    }
    return { reasoning, content: joinContent(pieces), toolCalls };
  },
  writeCall(writer, tools, tool, before) {
    writer.markup(
      before.includes(r1.callsBegin)
        ? `${before.endsWith(r1.callEnd) ? '\n' : ''}${r1.callBegin}function${r1.separator}`
        : `${r1.callsBegin}${r1.callBegin}function${r1.separator}`,
    );
    const chosen = writeName(writer, tools, tool, '\n```json\n');
    if (chosen === undefined) return;
    writer.markup('\n```json\n');
    writer.constrained(argumentsConstraint(chosen), '\n```');
    writer.markup(`\n\`\`\`${r1.callEnd}`);
  },
};

/**
 * GPT-OSS (harmony): messages `<|channel|>NAME<|message|>…<|end|>`, each after the first opened by
 * `<|start|>assistant`; `analysis` is the reasoning, `final` the answer, and a `commentary` message addressed
 * `to=functions.NAME` a call, which `<|call|>` ends (with the turn).
 */
const gptOss: TurnSyntax = {
  family: 'gpt-oss',
  callOpener: undefined,
  callEndsTurn: true,
  thinksInTags: false,
  callExample:
    '<|start|>assistant<|channel|>commentary to=functions.<function-name> <|constrain|>json<|message|><args-json-object><|call|>',
  parse(text) {
    const reasoning: string[] = [];
    const content: string[] = [];
    const toolCalls: ToolCall[] = [];
    for (const message of text.split('<|start|>')) {
      const headerEnd = message.indexOf('<|message|>');
      if (headerEnd === -1) {
        content.push(message.replace(/^assistant/, ''));
        continue;
      }
      const header = message.slice(0, headerEnd);
      const body = message.slice(headerEnd + '<|message|>'.length).replace(/<\|(?:end|call|return)\|>$/, '');
      const recipient = /to=functions\.([^\s<]+)/.exec(header)?.[1];
      const channel = /<\|channel\|>(\w+)/.exec(header)?.[1];
      const args = recipient === undefined ? undefined : argumentsText(body.trim());
      if (recipient !== undefined && args !== undefined) {
        toolCalls.push({ name: recipient, arguments: args });
      } else if (channel === 'analysis') reasoning.push(body);
      else content.push(body);
    }
    const thought = joinContent(reasoning);
    return { reasoning: thought === '' ? undefined : thought, content: joinContent(content), toolCalls };
  },
  writeCall(writer, tools, tool, before) {
    const opened = before === '' || before.endsWith('<|start|>assistant');
    writer.markup(`${opened ? '' : '<|start|>assistant'}<|channel|>commentary to=functions.`);
    const chosen = writeName(writer, tools, tool, ' ');
    if (chosen === undefined) return;
    writer.markup(' <|constrain|>json<|message|>');
    writer.constrained(argumentsConstraint(chosen));
    writer.markup('<|call|>');
  },
};

/**
 * Mistral: `[TOOL_CALLS]` and a JSON array of `{"name": …, "arguments": …}` (v3), or `[TOOL_CALLS]NAME[ARGS]`
 * and the arguments (v11 on); the turn ends after them.
 */
const mistral: TurnSyntax = {
  family: 'mistral',
  callOpener: '[TOOL_CALLS]',
  callEndsTurn: true,
  thinksInTags: true,
  callExample: '[TOOL_CALLS][{"name": <function-name>, "arguments": <args-json-object>}]',
  parse(text, inReasoning) {
    const { reasoning, rest } = splitThinking(text, inReasoning);
    const [first = '', ...sections] = rest.split('[TOOL_CALLS]');
    const toolCalls: ToolCall[] = [];
    for (const section of sections) {
      const calls = parseMistralCalls(section.trim());
      if (calls === undefined) return { reasoning, content: rest.trim(), toolCalls: [] };
      toolCalls.push(...calls);
    }
    return { reasoning, content: first.trim(), toolCalls };
  },
  writeCall(writer, tools, tool) {
    writer.markup('[TOOL_CALLS]');
    const items = callSchema(tools, tool, 'arguments');
    writer.constrained(schemaConstraint({ type: 'array', items, minItems: 1, maxItems: 1 }));
  },
};

function parseMistralCalls(section: string): ToolCall[] | undefined {
  if (section.startsWith('[')) {
    let array: unknown;
    try {
      array = JSON.parse(section);
    } catch {
      return undefined;
    }
    if (!Array.isArray(array)) return undefined;
    const calls = array.map((item: unknown) =>
      typeof item === 'object' && item !== null
        ? callOfObject(item as Record<string, unknown>, ['arguments', 'parameters'])
        : undefined,
    );
    return calls.every((call) => call !== undefined) ? (calls as ToolCall[]) : undefined;
  }
  const match = /^([^[\s]+)\[ARGS\]([\s\S]*)$/.exec(section);
  const args = match === null ? undefined : argumentsText(match[2]?.trim());
  return match === null || args === undefined ? undefined : [{ name: match[1] as string, arguments: args }];
}

/** Families by a marker their template holds, the first that matches; Hermes for any other template. */
const families: readonly (readonly [string, TurnSyntax])[] = [
  ['<|channel|>', gptOss],
  [r1.callsBegin, deepseekR1],
  ['<tool_call>', hermes],
  ['[INST]', mistral],
  ['<|start_header_id|>', llama3],
];

export const turnSyntaxes: readonly TurnSyntax[] = [hermes, llama3, deepseekR1, gptOss, mistral];

/** The syntax of the family whose markup `template` holds; Hermes's (the most widely trained) otherwise. */
export function syntaxOf(template: string): TurnSyntax {
  return families.find(([marker]) => template.includes(marker))?.[1] ?? hermes;
}

/** Whether a generation prompt leaves the model inside its reasoning (R1's ends with `<think>\n`). */
export const opensReasoning = (generationPrompt: string): boolean =>
  generationPrompt.trimEnd().endsWith(thinkOpen);
