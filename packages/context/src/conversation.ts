/**
 * The conversation a context holds, as text: what to append for each message so that the context holds what
 * the chat template renders for the whole conversation.
 *
 * Each message fill renders the whole conversation with the new message and appends what is new. An
 * assistant turn the model generated (or that was filled after a generation prompt) becomes an assistant
 * message, closed as the template closes one (ChatML's `\n` after a generated `<|im_end|>`). A generation
 * prompt that nothing followed is taken back before the next message, so two user messages in a row render
 * as the template renders them. Some templates rewrite an earlier turn once another follows (R1 and Qwen 3
 * drop the reasoning of past assistant turns): the earlier rendering is no prefix of the new one, and what is
 * held cannot change, so the new message is appended as it renders after a conversation of neutral messages
 * — the context then holds each turn as it rendered when it was appended.
 */

import { aroundContent } from './around-content.ts';

import type { ToolSet } from './tool-set.ts';
import type { ToolCall } from './turn-syntax.ts';

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface Message {
  readonly role: Role;
  readonly content: string;
  /** The call a tool message answers. */
  readonly call?: ToolCall;
}

/** Renders messages with the model's chat template (and the tools the conversation offers, if any). */
export type Render = (
  messages: readonly Message[],
  generationPrompt: boolean,
  beginOfSequence: boolean,
  tools: ToolSet | undefined,
) => string;

/** What to append for one message. */
export interface Addition {
  /** Whether the generation prompt appended last must be taken back first: nothing followed it. */
  readonly retractPrompt: boolean;
  /** The text to append for the message, as a function of its content (`literal-content.ts` probes it). */
  text(content: string): string;
  /** Appends the message to the conversation; returns the generation prompt to append after it ('' for none). */
  commit(content: string): string;
}

/** A content the neutral conversation gives every earlier message: no template rewrites it. */
const neutralContent = 'x';

export class Conversation {
  #messages: Message[] = [];
  /** The template's rendering of `#messages`, without generation prompt. */
  #rendered = '';
  /** The generation prompt appended after `#rendered`, or `undefined` when the last message asked for none. */
  #prompt: string | undefined;
  /** `begin_of_sequence` of every rendering: whether the first message was the first thing filled. */
  #beginOfSequence: boolean | undefined;
  /** The tools every rendering offers. */
  #tools: ToolSet | undefined;

  readonly #renderWithTools: Render;

  constructor(render: Render) {
    this.#renderWithTools = render;
  }

  #render(messages: readonly Message[], generationPrompt: boolean, beginOfSequence: boolean): string {
    return this.#renderWithTools(messages, generationPrompt, beginOfSequence, this.#tools);
  }

  /** A copy that goes on independently (a fork's). */
  clone(): Conversation {
    const copy = new Conversation(this.#renderWithTools);
    copy.#messages = this.#messages;
    copy.#rendered = this.#rendered;
    copy.#prompt = this.#prompt;
    copy.#beginOfSequence = this.#beginOfSequence;
    copy.#tools = this.#tools;
    return copy;
  }

  /** The tools the conversation offers; set before its first message (`inferlib:context/tools.set-tools`). */
  get tools(): ToolSet | undefined {
    return this.#tools;
  }

  set tools(tools: ToolSet) {
    this.#tools = tools;
  }

  /** The generation prompt appended last, if nothing followed it yet. */
  get generationPrompt(): string | undefined {
    return this.#prompt;
  }

  /** Whether a generation prompt was appended last, so that what follows it is the assistant's turn. */
  get prompted(): boolean {
    return this.#prompt !== undefined;
  }

  /**
   * The addition of a message with `role`. `turn` is the assistant's turn so far: after a generation prompt,
   * the text appended since (generated or filled); otherwise the text generated since the last fill (a prompt
   * filled raw); `''` when there is none. `contextEmpty` is whether nothing at all was filled yet.
   */
  add(role: Role, turn: string, contextEmpty: boolean, call?: ToolCall): Addition {
    const beginOfSequence = this.#beginOfSequence ?? contextEmpty;
    const retractPrompt = this.#prompt !== undefined && turn === '';
    let before = this.#messages;
    let held = this.#rendered;
    let closing = '';
    /** The closing of a turn the conversation did not see open, which its renderings do not hold. */
    let unseenClosing = '';
    if (turn !== '') {
      const [content, rest] = this.#closeTurn(turn, beginOfSequence);
      closing = rest;
      if (this.#prompt === undefined) unseenClosing = rest;
      else {
        before = [...before, { role: 'assistant', content }];
        held += this.#prompt + turn;
      }
    }
    const message = (content: string): Message =>
      call === undefined ? { role, content } : { role, content, call };
    const render = (content: string, prompt: boolean) =>
      this.#render([...before, message(content)], prompt, beginOfSequence);
    // `text` renders the content that `commit` then renders again: once is enough.
    const renderings = new Map<string, string>();
    const renderWithoutPrompt = (content: string): string => {
      let rendering = renderings.get(content);
      if (rendering === undefined) {
        rendering = render(content, false);
        renderings.set(content, rendering);
      }
      return rendering;
    };
    const text = (content: string): string => {
      const whole = renderWithoutPrompt(content);
      if (whole.startsWith(held)) return unseenClosing + whole.slice(held.length);
      return closing + this.#afterNeutral(before, message(content), beginOfSequence);
    };
    return {
      retractPrompt,
      text,
      commit: (content) => {
        const rendered = renderWithoutPrompt(content);
        // The assistant answers a user's message or a tool's result.
        const answered = role === 'user' || role === 'tool';
        const prompted = answered ? render(content, true) : rendered;
        // A template may render no prompt at all (Mistral 3): what follows is the assistant's turn all the same.
        const prompt =
          answered && prompted.startsWith(rendered) ? prompted.slice(rendered.length) : undefined;
        this.#beginOfSequence = beginOfSequence;
        this.#messages = [...before, message(content)];
        this.#rendered = rendered;
        this.#prompt = prompt;
        return prompt ?? '';
      },
    };
  }

  /**
   * The assistant message a turn becomes, and what the context must still append to close it as the
   * template closes the message: the closing minus what the turn already ends with (`<|im_end|>`).
   */
  #closeTurn(turn: string, beginOfSequence: boolean): readonly [string, string] {
    let closing = '';
    try {
      closing =
        aroundContent((content) =>
          this.#render([...this.#messages, { role: 'assistant', content }], false, beginOfSequence),
        )?.[1] ?? '';
    } catch {
      // A template that refuses an assistant message here closes nothing the context could add.
    }
    for (let overlap = Math.min(closing.length, turn.length); overlap > 0; overlap--) {
      if (turn.endsWith(closing.slice(0, overlap))) {
        return [turn.slice(0, turn.length - overlap), closing.slice(overlap)];
      }
    }
    return [turn, closing];
  }

  /** `message` as it renders after `before` with every content neutral; alone when even that rewrites. */
  #afterNeutral(before: readonly Message[], message: Message, beginOfSequence: boolean): string {
    const neutral = before.map((earlier) => ({ ...earlier, content: neutralContent }));
    const base = this.#render(neutral, false, beginOfSequence);
    const whole = this.#render([...neutral, message], false, beginOfSequence);
    return whole.startsWith(base) ? whole.slice(base.length) : this.#render([message], false, false);
  }
}
