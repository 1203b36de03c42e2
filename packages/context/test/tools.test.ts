/**
 * `inferlib:context/tools`: every family's turn syntax round-trips what Pie's templates render (property over
 * `../shared/conformance/chat/templates.json`) and what its own call writer writes (every family, the writer's
 * text accepted by the grammar it is generated under); turns as real models write them; `respond` on the
 * host-shim's reference model — calls that parse and validate with every choice, the lazy constraint of
 * `auto`, `none` stopping before a call, `max-tokens` — and tools rendered by the template or described in
 * the system message; errors naming the call and the value.
 */
import type * as Inference from 'inferlib:context/inference';
import type * as Tools from 'inferlib:context/tools';
import { Grammar } from 'inferlib:grammar/matcher';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinModel, qwen3Tokenizer } from '../../../host-shim/src/index.ts';
import { ChatFormatter } from '../../chat/src/formatter.ts';
import { loadConformance } from '../../chat/test/conformance.ts';
import { validator } from '../../grammar/test/schemas.ts';
import {
  type CallWriter,
  opensReasoning,
  type ParsedTurn,
  syntaxOf,
  type Tool,
  type ToolCall,
  turnSyntaxes,
} from '../src/turn-syntax.ts';
import { type BoundLibrary, errOf, loadBoundLibrary as load } from './bound-library.ts';

const conformance = loadConformance();
const greedy = { tag: 'greedy' } as const;
const qwen3 = qwen3Tokenizer();

/** Prose with no markup, braces or code fences: what a turn's text may be around the family's markup. */
const prose = fc
  .array(fc.constantFrom(...'abcxyz ABC 019 .,:;!?-_\'"()é中🙂\n'), { maxLength: 24 })
  .map((chars) => chars.join('').trim());
const someProse = prose.filter((text) => text !== '');

const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 8 }),
    fc.integer({ min: -1000, max: 1000 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie('value'), { maxKeys: 3 }),
  ),
})).value;

const toolCall: fc.Arbitrary<ToolCall> = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/),
  arguments: fc
    .dictionary(fc.string({ minLength: 1, maxLength: 6 }), jsonValue, { maxKeys: 3 })
    .map((args) => JSON.stringify(args)),
});

/** A turn with values the templates render as given (trimmed text; reasoning, when any, not empty). */
const turn = fc.record({
  reasoning: fc.option(someProse, { nil: undefined }),
  content: prose,
  toolCalls: fc.array(toolCall, { maxLength: 3 }),
});

/** Calls compared by name and arguments as JSON values (templates write them with sorted keys). */
const comparable = (calls: readonly ToolCall[]) =>
  calls.map(({ name, arguments: args }) => ({ name, arguments: JSON.parse(args) }));

describe('turn syntax, against the templates of Pie', () => {
  /**
   * Which parts of an assistant turn each template renders as the model's text after its generation prompt
   * (the templates whose rendering of a past turn is no continuation of the prompt, R1's, are left to the
   * writer's round trip below).
   */
  const renders: Record<string, readonly ('reasoning' | 'content' | 'content-without-calls' | 'calls')[]> = {
    GPTOSSTemplate: ['content'],
    Llama3Template: ['reasoning', 'content-without-calls', 'calls'],
    Qwen2_5Template: ['content', 'calls'],
    Qwen3Template: ['reasoning', 'content-without-calls', 'calls'],
    Gemma2Template: ['content'],
    Gemma3Template: ['content'],
    Mistral3Template: ['content'],
    Olmo3Template: ['reasoning', 'content'],
  };

  it.skipIf(conformance === undefined)('covers every template but R1', () => {
    const names = conformance?.templates.map(({ name }) => name) ?? [];
    expect(names.filter((name) => !(name in renders))).toEqual(['R1Template']);
  });

  for (const [name, parts] of Object.entries(renders)) {
    it.skipIf(conformance === undefined)(
      `${name}: parsing the rendered turn gives back what it renders`,
      () => {
        const template = conformance?.templates.find((each) => each.name === name)?.template ?? '';
        const syntax = syntaxOf(template);
        const render = (assistant: ParsedTurn | undefined, prompt: boolean): string => {
          const formatter = new ChatFormatter(template);
          formatter.addUser('Hi');
          if (assistant !== undefined) {
            const { content, reasoning, toolCalls } = assistant;
            formatter.addAssistantResponse(
              content,
              reasoning,
              toolCalls.length === 0 ? undefined : toolCalls,
            );
          }
          return formatter.render(prompt, false);
        };
        const prompt = render(undefined, true);
        const generationPrompt = prompt.slice(render(undefined, false).length);
        // The text after the content that closes the turn (`<|im_end|>`): the model's end of turn, not text.
        const closing = render({ reasoning: undefined, content: '\u0001', toolCalls: [] }, false).split(
          '\u0001',
        )[1];
        fc.assert(
          fc.property(turn, (written) => {
            const whole = render(written, false);
            expect(whole.startsWith(prompt)).toBe(true);
            let text = whole.slice(prompt.length);
            if (closing !== undefined && text.endsWith(closing)) text = text.slice(0, -closing.length);
            const parsed = syntax.parse(text, opensReasoning(generationPrompt));
            // What the template renders of this turn (some drop the text of a turn with calls).
            const callsRendered = parts.includes('calls') && written.toolCalls.length > 0;
            const contentRendered =
              parts.includes('content') || (parts.includes('content-without-calls') && !callsRendered);
            expect(parsed.reasoning).toBe(parts.includes('reasoning') ? written.reasoning : undefined);
            expect(parsed.content).toBe(contentRendered ? written.content : '');
            expect(comparable(parsed.toolCalls)).toEqual(callsRendered ? comparable(written.toolCalls) : []);
          }),
          { numRuns: 150 },
        );
      },
    );
  }
});

describe('turn syntax, against its own call writer', () => {
  /** Tools for `calls`: each name with a schema any object validates. */
  const toolsOf = (calls: readonly ToolCall[]): Tool[] =>
    [...new Set(calls.map(({ name }) => name))].map((name) => ({ name, parameters: '{"type":"object"}' }));

  /**
   * A writer that writes `call` where the constraint asks, checking that the constraint's grammar accepts
   * what it writes: the arguments, the name, or the whole call object (`{"name": …, "<key>": …}`, in an array
   * for Mistral) as the grammar writes JSON.
   */
  function writerOf(call: ToolCall, written: string[]): CallWriter {
    return {
      markup: (text) => {
        written.push(text);
      },
      constrained: (constraint) => {
        let text: string;
        if (constraint.tag === 'choice') text = call.name;
        else if (constraint.tag !== 'json-schema') throw new Error(`unexpected constraint ${constraint.tag}`);
        else {
          const schema = JSON.parse(constraint.val);
          const object = schema.type === 'array' ? schema.items : schema;
          const variant =
            object.anyOf?.find(
              (each: { properties: { name: { const: string } } }) => each.properties.name.const === call.name,
            ) ?? object;
          const key = Object.keys(variant.properties ?? {}).find((each) => each !== 'name');
          const args = oneLine(JSON.parse(call.arguments));
          const callText =
            key === undefined ? args : `{"name": ${JSON.stringify(call.name)}, "${key}": ${args}}`;
          text = schema.type === 'array' ? `[${callText}]` : callText;
        }
        const matcher = Grammar.compile(constraint).matcher();
        expect(
          matcher.advanceText(text) && matcher.isComplete(),
          `${text} under ${JSON.stringify(constraint)}`,
        ).toBe(true);
        written.push(text);
        return text;
      },
    };
  }

  for (const syntax of turnSyntaxes) {
    it(`${syntax.family}: parses back the calls it writes, after reasoning and text`, () => {
      fc.assert(
        fc.property(
          fc.option(someProse, { nil: undefined }),
          prose,
          fc.array(toolCall, { minLength: 1, maxLength: 3 }),
          fc.boolean(),
          (reasoning, content, calls, named) => {
            // R1's generation prompt opens the reasoning: its turn always closes it.
            const inReasoning = syntax.family === 'deepseek-r1';
            const reasoningText = inReasoning
              ? `${reasoning ?? ''}\n</think>\n\n`
              : reasoning === undefined
                ? ''
                : syntax.family === 'gpt-oss'
                  ? `<|channel|>analysis<|message|>${reasoning}<|end|>`
                  : `<think>\n${reasoning}\n</think>\n\n`;
            const contentText =
              content === ''
                ? ''
                : syntax.family === 'gpt-oss'
                  ? `${reasoningText === '' ? '' : '<|start|>assistant'}<|channel|>final<|message|>${content}<|end|>`
                  : content;
            let text = reasoningText + (syntax.family === 'llama3' ? '' : contentText);
            // A family whose call ends the turn writes one call.
            const written = syntax.callEndsTurn ? calls.slice(0, 1) : calls;
            const tools = toolsOf(written);
            for (const call of written) {
              const pieces: string[] = [];
              syntax.writeCall(
                writerOf(call, pieces),
                tools,
                named ? tools.find((tool) => tool.name === call.name) : undefined,
                text,
              );
              text += pieces.join('');
            }
            if (syntax.family === 'deepseek-r1') text += '<｜tool▁calls▁end｜>';
            const parsed = syntax.parse(text, inReasoning);
            expect(parsed.reasoning).toBe(reasoning);
            // Llama 3's calls are the whole turn: it writes no text beside them.
            expect(parsed.content).toBe(syntax.family === 'llama3' ? '' : content);
            expect(comparable(parsed.toolCalls)).toEqual(comparable(written));
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});

/** JSON on one line with `, ` and `: `, as the grammar writes it. */
function oneLine(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oneLine).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([key, each]) => `${JSON.stringify(key)}: ${oneLine(each)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

describe('turn syntax, on turns as models write them', () => {
  const call = (name: string, args: unknown) => ({ name, arguments: args });
  const cases: [string, string, boolean, unknown][] = [
    [
      '<tool_call>',
      '<think>\nThe user wants weather.\n</think>\n\nLet me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": "{\\"tz\\": \\"CET\\"}"}\n</tool_call>',
      false,
      {
        reasoning: 'The user wants weather.',
        content: 'Let me check.',
        calls: [call('get_weather', { city: 'Paris' }), call('get_time', { tz: 'CET' })],
      },
    ],
    [
      '<|start_header_id|>',
      '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}; {"name": "get_time", "parameters": {}}',
      false,
      {
        reasoning: undefined,
        content: '',
        calls: [call('get_weather', { city: 'Paris' }), call('get_time', {})],
      },
    ],
    [
      '<｜tool▁calls▁begin｜>',
      'Weather wanted.\n</think>\n\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{"city": "Paris"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
      true,
      { reasoning: 'Weather wanted.', content: '', calls: [call('get_weather', { city: 'Paris' })] },
    ],
    [
      '<|channel|>',
      '<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city":"Paris"}',
      false,
      { reasoning: 'Need the weather.', content: '', calls: [call('get_weather', { city: 'Paris' })] },
    ],
    [
      '<|channel|>',
      '<|channel|>analysis<|message|>Easy.<|end|><|start|>assistant<|channel|>final<|message|>It is sunny.',
      false,
      { reasoning: 'Easy.', content: 'It is sunny.', calls: [] },
    ],
    [
      '[INST]',
      '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "a1b2c3d4e"}]',
      false,
      { reasoning: undefined, content: '', calls: [call('get_weather', { city: 'Paris' })] },
    ],
    [
      '[INST]',
      '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[ARGS]{}',
      false,
      {
        reasoning: undefined,
        content: '',
        calls: [call('get_weather', { city: 'Paris' }), call('get_time', {})],
      },
    ],
    [
      '<tool_call>',
      'Here is a broken one: <tool_call>\n{"name": "get_weather", "arguments": {"city": \n</tool_call>',
      false,
      {
        reasoning: undefined,
        content:
          'Here is a broken one: <tool_call>\n{"name": "get_weather", "arguments": {"city": \n</tool_call>',
        calls: [],
      },
    ],
  ];
  it.each(cases)('%s: %j', (marker, text, inReasoning, expected) => {
    const parsed = syntaxOf(marker).parse(text, inReasoning);
    expect({
      reasoning: parsed.reasoning,
      content: parsed.content,
      calls: comparable(parsed.toolCalls),
    }).toEqual(expected);
  });

  it('keeps the id a Mistral call carries', () => {
    const [parsed] = syntaxOf('[INST]').parse(
      '[TOOL_CALLS] [{"name": "f", "arguments": {}, "id": "a1b2c3d4e"}]',
      false,
    ).toolCalls;
    expect(parsed?.id).toBe('a1b2c3d4e');
  });
});

const lookupCapital = {
  type: 'function',
  function: {
    name: 'lookup_capital',
    description: 'The capital of a country',
    parameters: {
      type: 'object',
      properties: { country: { enum: ['France', 'Japan', 'Kenya'] } },
      required: ['country'],
    },
  },
};
const calculate = {
  type: 'function',
  function: {
    name: 'calculate',
    parameters: {
      type: 'object',
      properties: { expression: { type: 'string', pattern: '^[0-9+*/() .-]{1,20}$' } },
      required: ['expression'],
    },
  },
};
const toolsJson = JSON.stringify([lookupCapital, calculate]);
const validates = validator();
const validators = new Map(
  [lookupCapital, calculate].map((tool) => [
    tool.function.name,
    (value: unknown) => validates(tool.function.parameters, value),
  ]),
);

/** A context offering the two tools, asked `question`. */
function asked(library: BoundLibrary, question: string): Inference.Context {
  const context = new library.Context(library.model);
  library.tools.setTools(context, toolsJson);
  context.fillSystem('You answer with the tools.');
  context.fillUser(question);
  return context;
}

const declared = new Map(
  [lookupCapital, calculate].map((tool) => [
    tool.function.name,
    Object.keys(tool.function.parameters.properties),
  ]),
);

/** Calls valid under their tool's schema, strictly: no property the schema does not declare. */
function expectValid(calls: readonly Tools.ToolCall[]): void {
  for (const { name, arguments: args } of calls) {
    const validate = validators.get(name);
    expect(validate, `tool ${name}`).toBeDefined();
    expect(validate?.(JSON.parse(args)), `${name}(${args})`).toBe(true);
    expect(Object.keys(JSON.parse(args)).every((key) => declared.get(name)?.includes(key))).toBe(true);
  }
}

describe('respond', () => {
  it('begins the turn with a call that validates, with required and named, greedy and sampled', async () => {
    const library = await load();
    const choices: Tools.ToolChoice[] = [
      { tag: 'required' },
      { tag: 'named', val: 'lookup_capital' },
      { tag: 'named', val: 'calculate' },
    ];
    for (const choice of choices) {
      for (const sampler of [greedy, { tag: 'top-p', val: [1, 0.95] }] satisfies Inference.SamplerConfig[]) {
        const context = asked(library, 'What is the capital of Kenya?');
        const turn = library.tools.respond(context, sampler, choice, 96);
        const [first] = turn.toolCalls;
        expect(first, JSON.stringify(turn)).toBeDefined();
        if (choice.tag === 'named') expect(first?.name).toBe(choice.val);
        expectValid(turn.toolCalls);
        // The call's markup is the tokenizer's control token, as the model writes it.
        const tokens = [...context.getTokenIds()];
        expect(tokens).toContain(qwen3.encode('<tool_call>')[0]);
      }
    }
  });

  it('writes a call the model begins in auto under the constraint, and stops before one with none', async () => {
    const library = await load();
    // The reference model echoes the user's message: here, text that begins a call.
    const question =
      'Capital? <tool_call>\n{"name": "lookup_capital", "arguments": {"country": "Japan"}}\n</tool_call>';
    const context = asked(library, question);
    context.flush();
    const promptLength = context.getTokenIds().length;
    const auto = library.tools.respond(context, greedy, { tag: 'auto' }, 96);
    expect(auto).toEqual({
      content: 'Capital?',
      toolCalls: [{ name: 'lookup_capital', arguments: '{"country":"Japan"}' }],
      finish: 'eos-sequence',
    });
    // The call's end is written as Qwen writes it, `"}}\n` one token before `</tool_call>`.
    const written = [...context.getTokenIds().slice(promptLength)];
    expect(qwen3.decode(written)).toBe(
      'Capital? \n<tool_call>\n{"name": "lookup_capital", "arguments": {"country": "Japan"}}\n</tool_call><|im_end|>',
    );
    expect(written.slice(-3, -1)).toEqual(qwen3.encode('"}}\n</tool_call>'));
    const none = library.tools.respond(asked(library, question), greedy, { tag: 'none' }, 96);
    expect(none).toEqual({ content: 'Capital?', toolCalls: [], finish: 'stop-string' });
    // Without tools there is nothing to call: the echo is the text.
    const plain = new library.Context(library.model);
    plain.fillUser('Just text.');
    expect(library.tools.respond(plain, greedy, { tag: 'auto' }, 32)).toEqual({
      content: 'Just text.',
      toolCalls: [],
      finish: 'eos-sequence',
    });
  });

  it('takes a call opener inside the reasoning for no call', async () => {
    const library = await load();
    const context = new library.Context(library.model);
    library.tools.setTools(context, toolsJson);
    // Raw text, control tokens and all, which the reference model then echoes: reasoning that names the opener.
    context.fill(
      '<|im_start|>user\n<think>\nI could write <tool_call> here.\n</think>\n\nDone.<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(library.tools.respond(context, greedy, { tag: 'auto' }, 64)).toEqual({
      reasoning: 'I could write <tool_call> here.',
      content: 'Done.',
      toolCalls: [],
      finish: 'eos-sequence',
    });
  });

  it('counts every token against max-tokens and keeps only whole calls', async () => {
    const library = await load();
    for (const maxTokens of [0, 1, 3, 6, 10]) {
      const context = asked(library, 'What is the capital of France?');
      context.flush();
      const before = context.getTokenIds().length;
      const turn = library.tools.respond(context, greedy, { tag: 'named', val: 'lookup_capital' }, maxTokens);
      expect(context.getTokenIds().length - before).toBeLessThanOrEqual(maxTokens);
      expect(turn.finish).toBe('max-tokens');
      expectValid(turn.toolCalls);
    }
  });

  it('fills a tool result as the template renders a tool message, and the conversation goes on', async () => {
    const library = await load();
    const context = asked(library, 'What is the capital of Japan?');
    const turn = library.tools.respond(context, greedy, { tag: 'required' }, 96);
    const [call] = turn.toolCalls;
    if (call === undefined) throw new Error('no call');
    library.tools.fillToolResult(context, call, 'Tokyo <|im_end|>');
    context.flush();
    expect(context.getText()).toMatch(
      /<\/tool_call><\|im_end\|>\n<\|im_start\|>user\n<tool_response>\nTokyo <\|im_end\|>\n<\/tool_response><\|im_end\|>\n<\|im_start\|>assistant\n$/,
    );
    // The typed `<|im_end|>` stays text: the result cannot end the turn.
    const imEnd = qwen3.encode('<|im_end|>')[0];
    expect([...context.getTokenIds()].filter((token) => token === imEnd)).toHaveLength(4);
    expect(library.tools.respond(context, greedy, { tag: 'auto' }, 48).finish).toBe('eos-sequence');
  });

  it('describes the tools in the system message of a template that renders none, and leaves them to one that does', async () => {
    const described = await load();
    const context = asked(described, 'Hi');
    context.flush();
    expect(context.getText()).toContain('You answer with the tools.\n\n# Tools\n\n');
    expect(context.getText()).toContain(JSON.stringify(lookupCapital));
    const template = conformance?.templates.find(({ name }) => name === 'Qwen2_5Template')?.template;
    if (template === undefined) return;
    const rendering = await load({ ...builtinModel, promptTemplate: template });
    const qwen25 = asked(rendering, 'Hi');
    qwen25.flush();
    expect(qwen25.getText()).toContain('<tools>\n{"function":{"description":"The capital of a country"');
    expect(qwen25.getText()).not.toContain('To call a function, write:');
  });

  it('parse-turn parses as respond does, in the generation prompt of the context', async () => {
    const library = await load();
    const context = asked(library, 'Hi');
    expect(
      library.tools.parseTurn(
        context,
        '<think>\nhmm\n</think>\nSure.\n<tool_call>\n{"name": "calculate", "arguments": {"expression": "1+1"}}\n</tool_call>',
      ),
    ).toEqual({
      reasoning: 'hmm',
      content: 'Sure.',
      toolCalls: [{ name: 'calculate', arguments: '{"expression":"1+1"}' }],
      finish: 'eos-sequence',
    });
  });

  it.skipIf(conformance === undefined)(
    "parse-turn reads R1's turn as its generation prompt opened it, in reasoning, after generation too",
    async () => {
      const template = conformance?.templates.find(({ name }) => name === 'R1Template')?.template ?? '';
      const library = await load({ ...builtinModel, promptTemplate: template });
      const context = new library.Context(library.model);
      context.fillUser('Hi');
      const text = 'The user greets.\n</think>\n\nHello!';
      expect(library.tools.parseTurn(context, text)).toEqual({
        reasoning: 'The user greets.',
        content: 'Hello!',
        toolCalls: [],
        finish: 'eos-sequence',
      });
      library.generation.complete(context, greedy, { maxTokens: 4, eosSequences: [], stopStrings: [] });
      expect(library.tools.parseTurn(context, text).reasoning).toBe('The user greets.');
    },
  );

  it('refuses bad tools, choices and calls with errors naming the call and the value', async () => {
    const library = await load();
    const fresh = () => new library.Context(library.model);
    const setTools = (tools: unknown) => errOf(() => library.tools.setTools(fresh(), JSON.stringify(tools)));
    expect(errOf(() => library.tools.setTools(fresh(), '[{'))).toMatch(
      /^inferlib:context\/tools\.set-tools: tools are not JSON/,
    );
    expect(setTools({})).toBe('inferlib:context/tools.set-tools: tools must be a JSON array, not {}');
    expect(setTools([{ name: 'f' }])).toBe(
      'inferlib:context/tools.set-tools: tools[0] is not {"type": "function", "function": {…}}',
    );
    expect(setTools([{ type: 'function', function: { name: 'a b' } }])).toBe(
      'inferlib:context/tools.set-tools: tools[0].function.name "a b" is not 1 to 64 of a-z A-Z 0-9 _ -',
    );
    expect(setTools([calculate, calculate])).toBe(
      'inferlib:context/tools.set-tools: tools[1].function.name "calculate" is there twice',
    );
    expect(setTools([{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }])).toBe(
      'inferlib:context/tools.set-tools: tools[0].function.parameters must be a JSON Schema with "type": "object"',
    );
    expect(
      setTools([
        { type: 'function', function: { name: 'f', parameters: { type: 'object', patternProperties: {} } } },
      ]),
    ).toMatch(/^inferlib:context\/tools\.set-tools: tools\[0\]\.function\.parameters: .*patternProperties/);
    const filled = fresh();
    filled.fillUser('Hi');
    expect(errOf(() => library.tools.setTools(filled, toolsJson))).toBe(
      'inferlib:context/tools.set-tools: the context already holds tokens; set the tools before the first fill',
    );
    const context = asked(library, 'Hi');
    expect(errOf(() => library.tools.respond(context, greedy, { tag: 'named', val: 'nope' }, 8))).toBe(
      'inferlib:context/tools.respond: choice named "nope" is no tool set-tools offered (lookup_capital, calculate)',
    );
    expect(errOf(() => library.tools.respond(fresh(), greedy, { tag: 'required' }, 8))).toBe(
      'inferlib:context/tools.respond: choice required asks for a call, but set-tools offered no tools',
    );
    expect(
      errOf(() => library.tools.respond(context, { tag: 'multinomial', val: -1 }, { tag: 'auto' }, 8)),
    ).toMatch(/^inferlib:context\/tools\.respond: .*temperature -1/);
    expect(errOf(() => library.tools.respond(context, greedy, { tag: 'auto' }, -1))).toMatch(
      /^inferlib:context\/tools\.respond: max-tokens -1/,
    );
    expect(errOf(() => library.tools.fillToolResult(context, { name: 'nope', arguments: '{}' }, 'x'))).toBe(
      'inferlib:context/tools.fill-tool-result: the call names "nope", which is no tool set-tools offered',
    );
  });
});
