import { builtinModel, createHost, runInferlet } from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';
import { ChatFormatter } from '../../../packages/chat/src/formatter.ts';
import { loadApp } from '../../../test/helpers/builds.ts';

const messages = ['Hello there.', 'And 東京, twice: 東京.'];

describe.each(['node', 'bundled', 'composed'] as const)('chat (%s)', (build) => {
  it('streams each answer, and the context holds the conversation as the template renders it', async () => {
    const app = await loadApp('examples', 'chat', build);
    const instance = createHost().createInstance({
      args: ['--system', 'You copy.', '--show-context', ...messages],
    });
    const outcome = await runInferlet(app, instance);
    const sent = instance.sent.map((item) => (item.kind === 'message' ? item.text : ''));
    expect(sent.length).toBeGreaterThan(2 * messages.length + 4);
    // The stream: each message as `> message`, then the answer, streamed in pieces.
    const answers = sent
      .join('')
      .split(/^> .*\n/m)
      .slice(1)
      .map((answer) => answer.replace(/\n$/, ''));
    expect(sent.join('')).toBe(
      messages.map((message, index) => `> ${message}\n${answers[index]}\n`).join(''),
    );
    // The built-in model copies: its first answer is the first message.
    expect(answers[0]).toBe(messages[0]);
    const formatter = new ChatFormatter(builtinModel.promptTemplate ?? '');
    formatter.addSystem('You copy.');
    messages.forEach((message, index) => {
      formatter.addUser(message);
      formatter.addAssistant(answers[index] ?? '');
    });
    // The last answer is not closed yet: it ends with the end-of-turn token the model generated.
    expect(outcome).toEqual({ ok: true, returnValue: formatter.render(false, true).replace(/\n$/, '') });
  });

  it('explains a missing message', async () => {
    const app = await loadApp('examples', 'chat', build);
    expect(await runInferlet(app, createHost().createInstance({ args: [] }))).toMatchObject({
      ok: false,
      error: "no message: give the user's messages as arguments; see --help",
    });
  });
});
