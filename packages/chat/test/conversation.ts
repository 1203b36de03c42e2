/** Feeds a conformance case's messages to a formatter through the interface's calls. */
import type { ToolCall } from '../src/index.ts';

export interface CaseMessage {
  readonly role: string;
  readonly content: string;
  readonly reasoning_content?: string;
  readonly tool_calls?: readonly { readonly name: string; readonly arguments: unknown }[];
}

export interface FormatterLike {
  addSystem(content: string): void;
  addUser(content: string): void;
  addAssistant(content: string): void;
  addTool(content: string): void;
  addAssistantResponse(
    content: string,
    reasoning: string | undefined,
    toolCalls: ToolCall[] | undefined,
  ): void;
}

export function addMessages(formatter: FormatterLike, messages: readonly CaseMessage[]): void {
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        formatter.addSystem(message.content);
        break;
      case 'user':
        formatter.addUser(message.content);
        break;
      case 'tool':
        formatter.addTool(message.content);
        break;
      case 'assistant':
        if (message.reasoning_content === undefined && message.tool_calls === undefined) {
          formatter.addAssistant(message.content);
        } else {
          formatter.addAssistantResponse(
            message.content,
            message.reasoning_content,
            message.tool_calls?.map((call) => ({
              name: call.name,
              arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
            })),
          );
        }
        break;
      default:
        throw new Error(`no formatter call adds a ${message.role} message`);
    }
  }
}
