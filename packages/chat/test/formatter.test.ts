import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CompiledTemplate, jinjaInternalsVersion } from '../src/engine.ts';
import { ChatFormatter } from '../src/index.ts';
import { parseJson } from '../src/parse-json.ts';
import { loadConformance } from './conformance.ts';
import { addMessages } from './conversation.ts';

const render = (template: string, variables: Record<string, unknown> = {}) =>
  new CompiledTemplate(template).render(variables);

describe('gaps of @huggingface/jinja closed against the reference', () => {
  it('keeps trim_blocks and lstrip_blocks off', () => {
    expect(render('{% if true %}\n  A\n{% endif %}\n  B')).toBe('\n  A\n\n  B');
    expect(render('{%- if true %}\n  A\n{%- endif %}')).toBe('\n  A');
  });

  it('writes tojson as minijinja: compact, keys by code point, non-ASCII kept, HTML characters escaped', () => {
    expect(render('{{ x | tojson }}', { x: { b: [1, 'é'], a: null, Z: true, _: "<a href='x'>&" } })).toBe(
      '{"Z":true,"_":"\\u003ca href=\\u0027x\\u0027\\u003e\\u0026","a":null,"b":[1,"é"]}',
    );
    expect(render('{{ x | tojson }}', { x: { '\u{1F600}': 1, '\uFFFD': 2 } })).toBe(
      '{"\uFFFD":2,"\u{1F600}":1}',
    );
    expect(render('{{ x | tojson(indent=2) }}', { x: { b: [1], a: {} } })).toBe(
      '{\n  "a": {},\n  "b": [\n    1\n  ]\n}',
    );
  });

  it('fails on an attribute or item of an undefined value, as an item past the end of a list', () => {
    expect(() => render("{{ messages[0]['role'] }}", { messages: [] })).toThrow(
      /UndefinedError: cannot read item "role"/,
    );
    expect(() => render('{{ x.y }}')).toThrow(/cannot read attribute "y"/);
    expect(
      render('{{ messages[3] }}|{{ messages[3] is defined }}|{{ m.missing is defined }}', {
        messages: [],
        m: {},
      }),
    ).toBe('|False|False');
  });

  it('prints values as Python does', () => {
    expect(
      render("{{ none }}|{{ true }}|{{ x }}|{{ 'a' ~ none ~ 1.0 }}", { x: [1, "it's", null, { k: false }] }),
    ).toBe("None|True|[1, \"it's\", None, {'k': False}]|aNone1.0");
    expect(
      render("{{ [1, true] | join(', ') }}|{{ [] | first }}|{{ 'ab' * 2 }}|{{ '%s=%d' % ('n', 3) }}"),
    ).toBe('1, True||abab|n=3');
    expect(
      render("{{ s.strip('-') }}|{{ s.lstrip('-') }}|{{ s.rstrip() }}|{{ 'hELLO wORLD' .title() }}", {
        s: '--a- ',
      }),
    ).toBe('a- |a- |--a-|Hello World');
  });
});

describe('ChatFormatter', () => {
  const echo =
    '{% for m in messages %}[{{ m.role }}|{{ m.content }}|{{ m.reasoning_content is defined }}|{{ m.tool_calls | tojson if m.tool_calls is defined else "-" }}]{% endfor %}{{ add_generation_prompt }}{{ begin_of_sequence }}';

  it('adds each role, parses tool-call arguments that are JSON and keeps the others as text', () => {
    const formatter = new ChatFormatter(echo);
    expect(formatter.hasMessages()).toBe(false);
    formatter.addSystem('s');
    formatter.addUser('u');
    formatter.addAssistant('a');
    formatter.addTool('t');
    formatter.addAssistantResponse('r', 'thinking', [
      { name: 'f', arguments: '{"b": 1.0, "a": [2, 3e2], "2": "x"}' },
      { name: 'g', arguments: 'not json {' },
    ]);
    expect(formatter.hasMessages()).toBe(true);
    expect(formatter.render(true, false)).toBe(
      '[system|s|False|-][user|u|False|-][assistant|a|False|-][tool|t|False|-]' +
        '[assistant|r|True|[{"arguments":{"2":"x","a":[2,300.0],"b":1.0},"name":"f"},{"arguments":"not json {","name":"g"}]]TrueFalse',
    );
    formatter.clear();
    expect(formatter.hasMessages()).toBe(false);
    expect(formatter.render(false, true)).toBe('FalseTrue');
  });

  it('leaves absent fields absent and keeps empty strings', () => {
    const formatter = new ChatFormatter(echo);
    formatter.addAssistantResponse('', undefined, undefined);
    formatter.addAssistantResponse('', '', []);
    expect(formatter.render(false, false)).toBe('[assistant||False|-][assistant||True|[]]FalseFalse');
  });

  it('renders unicode untouched', () => {
    const formatter = new ChatFormatter('{% for m in messages %}{{ m.content }}{% endfor %}');
    formatter.addUser('東京 👩‍💻 ß ☀️ \u0000 \u2028');
    expect(formatter.render(false, false)).toBe('東京 👩‍💻 ß ☀️ \u0000 \u2028');
  });

  it('reports a syntax error as the err of the constructor, and a render error as an Error', () => {
    expect(() => new ChatFormatter('{% if %}')).toThrow(
      'chat template does not compile: Unexpected token: CloseStatement',
    );
    expect(() => new ChatFormatter('{{ x ')).toThrow(/chat template does not compile/);
    const formatter = new ChatFormatter("{{ raise_exception('no system message') }}");
    expect(() => formatter.render(false, false)).toThrow(
      'chat template failed to render: raise_exception: no system message',
    );
  });
});

describe('parseJson', () => {
  it('keeps floats and member order, and rejects what JSON.parse rejects', () => {
    expect(parseJson('{"b":[1,1.0,-2e-3],"1":null}')).toEqual(
      parseJson(' {"b" : [1, 1.0, -2e-3], "1": null} '),
    );
    for (const bad of ['', '{', '[1,]', '{"a":1,}', "{'a':1}", '01', '1 2', '"\u0001"', 'nul']) {
      expect(() => JSON.parse(bad), bad).toThrow();
      expect(() => parseJson(bad), bad).toThrow(SyntaxError);
    }
  });
});

const conformance = loadConformance();
if (conformance === undefined)
  console.warn('chat conformance skipped: ../shared/conformance/chat is not present');

describe.skipIf(conformance === undefined)('conformance of Pie chat templates, in Node', () => {
  it('renders every public pair as expected', () => {
    if (conformance === undefined) return;
    for (const template of conformance.templates) {
      for (const conversation of conformance.cases) {
        const expected = conformance.expected[template.name]?.[conversation.id];
        const formatter = new ChatFormatter(template.template);
        addMessages(formatter, conversation.messages);
        const render = () =>
          formatter.render(conversation.add_generation_prompt, conversation.begin_of_sequence);
        if (typeof expected === 'string')
          expect(render(), `${template.name}/${conversation.id}`).toBe(expected);
        else expect(render, `${template.name}/${conversation.id}`).toThrow();
      }
    }
  });
});

describe('the @huggingface/jinja internals the engine overrides', () => {
  it('are those of the installed release (upgrading it means reviewing engine.ts)', () => {
    const entry = createRequire(import.meta.url).resolve('@huggingface/jinja');
    const manifest = JSON.parse(readFileSync(entry.replace(/dist\/index\.c?js$/, 'package.json'), 'utf8'));
    expect(manifest.version).toBe(jinjaInternalsVersion);
  });
});
