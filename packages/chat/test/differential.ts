/**
 * Differential testing of the chat library against the reference renderer of the shared conformance data
 * (`oracle.py`: Python Jinja2 configured as minijinja): random conversations, every Pie template, both
 * renderers; they must give the same text or both fail. Shared by the vitest test and `pnpm fuzz:chat`,
 * so it uses no test framework.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ChatFormatter } from '../src/index.ts';
import { conformanceDir, loadConformance } from './conformance.ts';
import { addMessages, type CaseMessage } from './conversation.ts';

/** A conversation and the two flags of a render. */
export interface Conversation {
  readonly messages: readonly CaseMessage[];
  readonly add_generation_prompt: boolean;
  readonly begin_of_sequence: boolean;
}

/** One render to compare: a conversation under one template. */
export interface DifferentialCase extends Conversation {
  /** A template of `templates.json`, by name (the template text is never copied into the project). */
  readonly template: string;
}

/** What a renderer gave: the text, or that it failed (and why). */
export type Rendering = { readonly output: string } | { readonly error: string };

// ---------------------------------------------------------------------------------------------------------
// Random conversations

/** Pieces that template engines and chat formats give meaning to, so that content containing them shows
 * whether any renderer interprets data as template or markup. */
const syntaxPieces = [
  '{{',
  '}}',
  '{%',
  '%}',
  '{#',
  '#}',
  '{{ messages }}',
  '{% endfor %}',
  '<think>',
  '</think>',
  '<|im_start|>',
  '<|im_end|>',
  '<｜Assistant｜>',
  '[INST]',
  '<start_of_turn>',
  '\n',
  '\r\n',
  '\t',
  ' ',
  '"',
  "'",
  '\\',
  '<>&',
  '\u0000',
  '\u2028',
  '👩‍💻',
  'é',
  'user',
  'assistant',
  'None',
];

/** Message text: empty, plain, full Unicode, or template and chat-format syntax mixed in. */
const text = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...syntaxPieces), fc.string({ unit: 'grapheme', maxLength: 6 })), {
        maxLength: 6,
      })
      .map((pieces) => pieces.join('')),
  },
);

/** JSON number texts whose written form matters: fractions and exponents stay floats, `-0`, large values. */
const numberText = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.constantFrom('0', '-0', '1.0', '-0.0', '0.5', '1e3', '1E-7', '-2.5e+2', '1e400', '9007199254740993'),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
);

/** Optional JSON whitespace (no raw newline inside strings, where JSON forbids it anyway). */
const space = fc.constantFrom('', '', ' ', '\n  ', '\t');

/** JSON text of nested values, with odd keys and numbers, written with varied whitespace. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    fc.constantFrom('true', 'false', 'null'),
    text.map((value) => JSON.stringify(value)),
    fc
      .tuple(fc.array(tie('value'), { maxLength: 3 }), space)
      .map(([items, gap]) => `[${gap}${items.join(`,${gap}`)}${gap}]`),
    fc
      .tuple(
        fc.array(fc.tuple(fc.oneof(text, fc.constantFrom('a', 'b', '1', '')), tie('value')), {
          maxLength: 3,
        }),
        space,
      )
      .map(
        ([members, gap]) =>
          `{${gap}${members.map(([key, value]) => `${JSON.stringify(key)}${gap}:${value}`).join(`,${gap}`)}${gap}}`,
      ),
  ),
})).value;

/** Tool-call arguments as the formatter takes them: JSON text (parsed into values) or any other text. */
const argumentsText = fc.oneof(
  { weight: 4, arbitrary: jsonText },
  {
    weight: 1,
    arbitrary: fc.constantFrom('{', '{"a":1,}', 'NaN', 'Infinity', "{'a': 1}", '[1 2]', '01', ''),
  },
  { weight: 1, arbitrary: text },
);

const toolCall = fc.record({ name: text, arguments: argumentsText });

const message: fc.Arbitrary<CaseMessage> = fc.oneof(
  fc.record({ role: fc.constantFrom('system', 'user', 'tool'), content: text }),
  fc.record(
    {
      role: fc.constant('assistant'),
      content: text,
      reasoning_content: text,
      tool_calls: fc.array(toolCall, { maxLength: 3 }),
    },
    { requiredKeys: ['role', 'content'] },
  ),
);

/** A conversation (roles in any order, possibly empty) and the two flags. */
export const conversation: fc.Arbitrary<Conversation> = fc.record({
  messages: fc.array(message, { maxLength: 6 }),
  add_generation_prompt: fc.boolean(),
  begin_of_sequence: fc.boolean(),
});

// ---------------------------------------------------------------------------------------------------------
// The two renderers

/** The templates of the conformance data, by name; undefined when `../shared` is absent. */
export function loadTemplates(): ReadonlyMap<string, string> | undefined {
  const conformance = loadConformance();
  return conformance && new Map(conformance.templates.map(({ name, template }) => [name, template]));
}

/** The chat library in Node: compile, add the messages through the formatter's calls, render. */
export function renderWithLibrary(template: string, conversation: Conversation): Rendering {
  try {
    const formatter = new ChatFormatter(template);
    addMessages(formatter, conversation.messages);
    return { output: formatter.render(conversation.add_generation_prompt, conversation.begin_of_sequence) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The messages as the formatter stores them, as one JSON line for the oracle: tool-call arguments that are
 * JSON text go in as that text itself (so Python parses `1.0` as a float, as the library does), any other
 * text as a string. JSON's insignificant newlines are turned into spaces to keep the line one line.
 */
function oracleLine(template: string, conversation: Conversation): string {
  const raw: string[] = [];
  const placeholder = (index: number) => `\u0001raw-argument-${index}\u0001`;
  const messages = conversation.messages.map((message) =>
    message.tool_calls === undefined
      ? message
      : {
          ...message,
          tool_calls: message.tool_calls.map((call) => {
            const argumentText = String(call.arguments);
            if (!isJson(argumentText)) return call;
            raw.push(argumentText.replace(/[\r\n]/g, ' '));
            return { name: call.name, arguments: placeholder(raw.length - 1) };
          }),
        },
  );
  const line = JSON.stringify({
    template,
    messages,
    add_generation_prompt: conversation.add_generation_prompt,
    begin_of_sequence: conversation.begin_of_sequence,
  });
  return raw.reduce(
    (built, argumentText, index) => built.replace(JSON.stringify(placeholder(index)), () => argumentText),
    line,
  );
}

/**
 * Valid JSON text as serde_json (Pie's parser) reads it: what `JSON.parse` takes (not Python's `NaN`), with
 * no number beyond a double's range anywhere in the text (Python reads `1e400` as infinity), even in a
 * member that a later duplicate key replaces.
 */
function isJson(candidate: string): boolean {
  try {
    JSON.parse(candidate);
  } catch {
    return false;
  }
  const numbers = candidate.replace(/"(?:[^"\\]|\\.)*"/g, '""').match(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g);
  return (numbers ?? []).every((number) => Number.isFinite(Number(number)));
}

/** Why the oracle cannot run here, or undefined when it can. */
export function oracleUnavailable(): string | undefined {
  if (!existsSync(join(conformanceDir, 'oracle.py')))
    return `the oracle ${join(conformanceDir, 'oracle.py')} is not present`;
  const probe = spawnSync('python3', ['-c', 'import jinja2, sys; sys.stdout.write(jinja2.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.error !== undefined) return `python3 cannot run: ${probe.error.message}`;
  if (probe.status !== 0) return `python3 has no jinja2: ${probe.stderr.trim().split('\n').at(-1)}`;
  if (!probe.stdout.startsWith('3.1.')) return `the oracle needs jinja2 3.1.x; python3 has ${probe.stdout}`;
  return undefined;
}

/** One long-lived oracle process: lines go in batches, answers come back in order. */
export class ChatOracle {
  readonly #process: ChildProcessWithoutNullStreams;
  readonly #waiting: { resolve(rendering: Rendering): void; reject(error: Error): void }[] = [];
  #buffered = '';
  #failure: Error | undefined;

  constructor() {
    this.#process = spawn('python3', [join(conformanceDir, 'oracle.py')], {
      env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
    });
    this.#process.stdout.setEncoding('utf8');
    this.#process.stdout.on('data', (chunk: string) => {
      this.#buffered += chunk;
      let newline = this.#buffered.indexOf('\n');
      while (newline >= 0) {
        const line = this.#buffered.slice(0, newline);
        this.#buffered = this.#buffered.slice(newline + 1);
        this.#waiting.shift()?.resolve(JSON.parse(line) as Rendering);
        newline = this.#buffered.indexOf('\n');
      }
    });
    let stderr = '';
    this.#process.stderr.setEncoding('utf8');
    this.#process.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    this.#process.on('close', (code) => {
      const failure = new Error(`the chat oracle exited (code ${code}): ${stderr.trim()}`);
      this.#failure = failure;
      for (const waiting of this.#waiting.splice(0)) waiting.reject(failure);
    });
  }

  /** Renders every case, in one write. */
  async render(
    cases: readonly DifferentialCase[],
    templates: ReadonlyMap<string, string>,
  ): Promise<Rendering[]> {
    if (this.#failure !== undefined) throw this.#failure;
    const answers = cases.map(
      () => new Promise<Rendering>((resolve, reject) => this.#waiting.push({ resolve, reject })),
    );
    const lines = cases.map((entry) => oracleLine(templateText(templates, entry.template), entry));
    this.#process.stdin.write(`${lines.join('\n')}\n`);
    return Promise.all(answers);
  }

  close(): void {
    this.#process.stdin.end();
  }
}

function templateText(templates: ReadonlyMap<string, string>, name: string): string {
  const template = templates.get(name);
  if (template === undefined) throw new Error(`no template named ${name} in the conformance data`);
  return template;
}

/** A case on which the renderers disagree, with both renderings. */
export interface Disagreement {
  readonly case: DifferentialCase;
  readonly library: Rendering;
  readonly oracle: Rendering;
}

/** Same text, or both failed: a failure's message differs between engines and is not compared. */
const agree = (library: Rendering, oracle: Rendering): boolean =>
  'output' in library && 'output' in oracle
    ? library.output === oracle.output
    : 'error' in library && 'error' in oracle;

/** Renders each case with both renderers; the disagreements. */
export async function compare(
  oracle: ChatOracle,
  templates: ReadonlyMap<string, string>,
  cases: readonly DifferentialCase[],
): Promise<Disagreement[]> {
  const expected = await oracle.render(cases, templates);
  return cases.flatMap((entry, index) => {
    const library = renderWithLibrary(templateText(templates, entry.template), entry);
    const reference = expected[index] as Rendering;
    return agree(library, reference) ? [] : [{ case: entry, library, oracle: reference }];
  });
}

/** The conversation under every template: one case per template. */
export const underEveryTemplate = (
  templates: ReadonlyMap<string, string>,
  generated: Conversation,
): DifferentialCase[] => [...templates.keys()].map((template) => ({ template, ...generated }));

/** Renders `generated` under every template with both renderers; throws the disagreements, if any. */
export async function checkConversation(
  oracle: ChatOracle,
  templates: ReadonlyMap<string, string>,
  generated: Conversation,
): Promise<void> {
  const disagreements = await compare(oracle, templates, underEveryTemplate(templates, generated));
  if (disagreements.length > 0) {
    throw new Error(
      `the chat library and the oracle disagree on ${disagreements.length} case(s):\n${JSON.stringify(disagreements, null, 2)}`,
    );
  }
}
