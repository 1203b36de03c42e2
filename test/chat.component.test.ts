import type * as Formatter from 'inferlib:chat/formatter';
import { createHost, type LoadedComponent } from '@inferlib/host-shim';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConformance } from '../packages/chat/test/conformance.ts';
import { addMessages } from '../packages/chat/test/conversation.ts';
import { runScript } from './helpers/child.ts';
import { loadBuilt } from './helpers/components.ts';

let component: LoadedComponent;
const newFormatterModule = async () =>
  (await component.instantiate(createHost({ models: [] }).createInstance().imports))
    .formatter as typeof Formatter;

beforeAll(async () => {
  component = await loadBuilt('packages', 'chat');
});

const conformance = loadConformance();
if (conformance === undefined)
  console.warn('chat conformance skipped: ../shared/conformance/chat is not present');

describe.skipIf(conformance === undefined)('chat component under jco: Pie chat template conformance', () => {
  it('renders every public (template, conversation) pair byte for byte, and fails where expected', async () => {
    if (conformance === undefined) return;
    let formatterModule = await newFormatterModule();
    let checked = 0;
    for (const template of conformance.templates) {
      for (const conversation of conformance.cases) {
        const name = `${template.name}/${conversation.id}`;
        const expected = conformance.expected[template.name]?.[conversation.id];
        const formatter = new formatterModule.ChatFormatter(template.template);
        addMessages(formatter, conversation.messages);
        const render = () =>
          formatter.render(conversation.add_generation_prompt, conversation.begin_of_sequence);
        if (typeof expected === 'string') {
          expect(render(), name).toBe(expected);
        } else {
          expect(render, name).toThrow(WebAssembly.RuntimeError);
          // A trap poisons the instance: continue in a new one.
          formatterModule = await newFormatterModule();
        }
        checked++;
      }
    }
    expect(checked).toBe(conformance.templates.length * conformance.cases.length);
  });
});

describe('chat component under jco', () => {
  it('returns the err of the constructor for a syntax error and stays usable', async () => {
    const formatterModule = await newFormatterModule();
    expect(() => new formatterModule.ChatFormatter('{% for %}')).toThrow(/chat template does not compile/);
    const formatter = new formatterModule.ChatFormatter('{{ messages | length }}:{{ messages[0].content }}');
    formatter.addUser('ü');
    expect(formatter.render(false, false)).toBe('1:ü');
  });

  it('traps with the template message on stderr when a render fails', async () => {
    const { stdout, stderr } = await runScript('trap-message.ts', ['render-error']);
    expect(stdout).toBe('trapped: RuntimeError\n');
    expect(stderr).toContain(
      'chat template failed to render: UndefinedError: cannot read item "role" of an undefined value',
    );
  });
});
