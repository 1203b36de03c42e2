/**
 * Multi-turn text against each Pie template (`conversation.ts`): a context fed any sequence of system, user
 * and assistant messages and generated turns holds the template's rendering of the whole conversation. The
 * templates that rewrite an earlier turn once another follows are listed with what they rewrite; for them the
 * context holds each turn as it rendered when appended, which is checked too. Both lists are checked, so
 * neither can drift.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConformance } from '../../chat/test/conformance.ts';
import { aroundContent } from '../src/around-content.ts';
import { Conversation, type Message } from '../src/conversation.ts';
import { renderWith } from './bound-library.ts';

/**
 * Templates whose rendering of a conversation changes an earlier turn when a message follows it, and how:
 * no append-only context can equal them.
 */
const rewriting: Record<string, string> = {
  R1Template: 'drops the reasoning (up to `</think>`) of past assistant turns; its prompt opens `<think>`',
  GPTOSSTemplate: 'renders the last assistant turn as `<|return|>`-ended final, earlier ones with `<|end|>`',
};

type Turn =
  | { readonly kind: 'message'; readonly message: Message }
  /** Text the model generated after a generation prompt, ending with its end of turn or cut by max-tokens. */
  | { readonly kind: 'generated'; readonly answer: string; readonly endOfTurn: boolean };

const render =
  (template: string) =>
  (messages: readonly Message[], prompt: boolean, bos: boolean): string =>
    renderWith(template, messages, prompt, bos);

/**
 * What a model trained on `template` generates for an assistant message `answer`: the template's text between
 * the generation prompt and the content (Llama 3's `\n\n`), the content, and with `endOfTurn` the first
 * line of the template's closing (`<|im_end|>`). `undefined` when the prompt is no prefix of the header.
 */
function generatedText(template: string, before: readonly Message[], turn: Turn & { kind: 'generated' }) {
  const draw = render(template);
  const prompted = draw(before, true, true);
  const assistant = aroundContent((content) =>
    draw([...before, { role: 'assistant', content }], false, true),
  );
  const plain = draw(before, false, true);
  if (assistant === undefined || !prompted.startsWith(plain)) return undefined;
  const prompt = prompted.slice(plain.length);
  const header = assistant[0].slice(plain.length);
  if (!assistant[0].startsWith(plain) || !header.startsWith(prompt)) return undefined;
  const closing = assistant[1].trimEnd();
  return header.slice(prompt.length) + turn.answer + (turn.endOfTurn ? closing : '');
}

/** The text a context holds after `turns`: what the conversation appends, and the generated text. */
function heldText(template: string, turns: readonly Turn[]): { held: string; conversation: Message[] } {
  const conversation = new Conversation(render(template));
  const messages: Message[] = [];
  let held = '';
  let prompt = '';
  let turnText = '';
  for (const turn of turns) {
    if (turn.kind === 'generated') {
      const text = generatedText(template, messages, turn) ?? turn.answer;
      held += text;
      turnText += text;
      messages.push({ role: 'assistant', content: turn.answer });
      continue;
    }
    const addition = conversation.add(turn.message.role, conversation.prompted ? turnText : '', held === '');
    if (addition.retractPrompt) held = held.slice(0, held.length - prompt.length);
    held += addition.text(turn.message.content);
    prompt = addition.commit(turn.message.content);
    held += prompt;
    turnText = '';
    messages.push(turn.message);
  }
  return { held, conversation: messages };
}

const message = (role: Message['role'], content: string): Turn => ({
  kind: 'message',
  message: { role, content },
});

/** Conversations as apps make them: a system message or not, then user turns each answered, sometimes twice. */
const conversations = fc
  .record({
    system: fc.option(fc.constantFrom('You copy.', 'Be brief.'), { nil: undefined }),
    exchanges: fc.array(
      fc.record({
        users: fc.array(fc.constantFrom('Hi.', 'Echo me.', '東京?', 'a\nb'), { minLength: 1, maxLength: 2 }),
        answer: fc.constantFrom('Hello.', 'Echo me.', 'Yes, 東京.'),
        /** Filled by the app (`fill-assistant`) rather than generated. */
        filled: fc.boolean(),
        endOfTurn: fc.boolean(),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    question: fc.constantFrom('And now?', 'Again.'),
  })
  .map(({ system, exchanges, question }): Turn[] => [
    ...(system === undefined ? [] : [message('system', system)]),
    ...exchanges.flatMap(({ users, answer, filled, endOfTurn }): Turn[] => [
      ...users.map((user) => message('user', user)),
      filled ? message('assistant', answer) : { kind: 'generated', answer, endOfTurn },
    ]),
    message('user', question),
  ]);

const conformance = loadConformance();

describe.skipIf(conformance === undefined)(
  'multi-turn text under every Pie template (needs ../shared/conformance)',
  () => {
    const templates = conformance?.templates ?? [];

    it.each(templates.map((entry) => [entry.name, entry.template] as const))('%s', (name, template) => {
      let differed = false;
      fc.assert(
        fc.property(conversations, (turns) => {
          let whole: string;
          let held: string;
          try {
            const context = heldText(template, turns);
            held = context.held;
            whole = render(template)(context.conversation, true, true);
          } catch {
            return; // A conversation this template refuses (a system message it does not take).
          }
          if (rewriting[name] === undefined) {
            expect(held, JSON.stringify(turns)).toBe(whole);
            return;
          }
          if (held !== whole) differed = true;
          // Held as appended: every message and answer in order, the last as the template renders it now.
          let from = 0;
          for (const turn of turns) {
            const text = turn.kind === 'message' ? turn.message.content : turn.answer;
            from = held.indexOf(text, from);
            expect(from, `${JSON.stringify(text)} in order in ${JSON.stringify(held)}`).not.toBe(-1);
          }
          const last = turns.at(-1);
          if (last?.kind === 'message') {
            expect(held.endsWith(whole.slice(whole.lastIndexOf(last.message.content)))).toBe(true);
          }
        }),
        { numRuns: 80, seed: 7 },
      );
      // A template listed as rewriting must really differ somewhere, or it does not belong in the list.
      if (rewriting[name] !== undefined) expect(differed, `${name} rewrites no earlier turn`).toBe(true);
    });
  },
);
