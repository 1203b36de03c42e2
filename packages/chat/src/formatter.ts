import { refuseAfterDrop } from '@inferlib/support';
import { CompiledTemplate } from './engine.ts';
import { parseJson } from './parse-json.ts';

export interface ToolCall {
  name: string;
  arguments: string;
}

/** A message as templates see it; optional fields are absent, never null. */
interface Message {
  readonly role: string;
  readonly content: string;
  readonly reasoning_content?: string;
  readonly tool_calls?: readonly { readonly name: string; readonly arguments: unknown }[];
}

/** Tool-call arguments as JSON values when they are valid JSON text, else the text itself. */
function parseArguments(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}

/** A conversation rendered with one chat template, compiled once. */
export class ChatFormatter {
  readonly #template: CompiledTemplate;
  #messages: Message[] = [];

  /** Compiles `template`; a syntax error throws its message (the `err` of the WIT constructor). */
  constructor(template: string) {
    try {
      this.#template = new CompiledTemplate(template);
    } catch (error) {
      throw `chat template does not compile: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  addSystem(content: string): void {
    this.#messages.push({ role: 'system', content });
  }

  addUser(content: string): void {
    this.#messages.push({ role: 'user', content });
  }

  addAssistant(content: string): void {
    this.#messages.push({ role: 'assistant', content });
  }

  addTool(content: string): void {
    this.#messages.push({ role: 'tool', content });
  }

  addAssistantResponse(
    content: string,
    reasoning: string | undefined,
    toolCalls: ToolCall[] | undefined,
  ): void {
    this.#messages.push({
      role: 'assistant',
      content,
      ...(reasoning === undefined ? {} : { reasoning_content: reasoning }),
      ...(toolCalls === undefined
        ? {}
        : {
            tool_calls: toolCalls.map((call) => ({
              name: call.name,
              arguments: parseArguments(call.arguments),
            })),
          }),
    });
  }

  hasMessages(): boolean {
    return this.#messages.length > 0;
  }

  clear(): void {
    this.#messages = [];
  }

  /** Renders the conversation; a template error at render time throws an `Error` with its message. */
  render(addGenerationPrompt: boolean, beginOfSequence: boolean): string {
    try {
      return this.#template.render({
        messages: this.#messages,
        add_generation_prompt: addGenerationPrompt,
        begin_of_sequence: beginOfSequence,
      });
    } catch (error) {
      throw new Error(
        `chat template failed to render: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  [Symbol.dispose](): void {}
}

refuseAfterDrop(ChatFormatter, 'inferlib:chat/formatter.chat-formatter');
