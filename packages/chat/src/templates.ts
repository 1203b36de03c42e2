import { refuseAfterDrop } from '@inferlib/support';
import { CompiledTemplate } from './engine.ts';
import { JsonObject, parseJson } from './parse-json.ts';

const iface = 'inferlib:chat/templates';

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A chat template rendered with variables given as JSON (`inferlib:chat/templates.chat-template`). */
export class ChatTemplate {
  readonly #template: CompiledTemplate;

  /** Compiles `source`; a syntax error throws its message (the `err` of the WIT constructor). */
  constructor(source: string) {
    try {
      this.#template = new CompiledTemplate(source);
    } catch (error) {
      throw `${iface}.chat-template: the template does not compile: ${messageOf(error)}`;
    }
  }

  /** Renders with the members of the JSON object `variables`; an `err` is thrown as its text. */
  render(variables: string): string {
    let parsed: unknown;
    try {
      parsed = parseJson(variables);
    } catch (error) {
      throw `${iface}.chat-template.render: variables are not JSON (${messageOf(error)})`;
    }
    if (!(parsed instanceof JsonObject)) {
      throw `${iface}.chat-template.render: variables must be a JSON object, not ${variables.slice(0, 40)}`;
    }
    try {
      return this.#template.render(Object.fromEntries(parsed.entries));
    } catch (error) {
      throw `${iface}.chat-template.render: the template failed to render: ${messageOf(error)}`;
    }
  }

  [Symbol.dispose](): void {}
}

refuseAfterDrop(ChatTemplate, `${iface}.chat-template`);
