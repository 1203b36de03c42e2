import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArguments, usage, withOptions } from '../src/options.ts';

const spec = {
  summary: 'demo: answers a prompt.',
  options: {
    prompt: { kind: 'text', short: 'p', default: 'Hi.', help: 'the user message' },
    system: { kind: 'text', help: 'a system message first' },
    maxTokens: { kind: 'count', short: 'n', default: 64, min: 1, help: 'at most N tokens' },
    temperature: { kind: 'number', default: 0.7, help: 'sampling temperature' },
    topP: { kind: 'number', max: 1, help: 'nucleus' },
    stop: { kind: 'texts', help: 'stop at this text' },
    stream: { kind: 'switch', help: 'stream the answer' },
    sampler: { kind: 'choice', choices: ['greedy', 'top-p'], default: 'greedy', help: 'how to sample' },
  },
} as const;

describe('parseArguments', () => {
  it('gives every option typed, its default where not given', () => {
    const parsed = parseArguments([], spec);
    expect(parsed).toEqual({
      options: {
        prompt: 'Hi.',
        system: undefined,
        maxTokens: 64,
        temperature: 0.7,
        topP: undefined,
        stop: [],
        stream: false,
        sampler: 'greedy',
      },
      positionals: [],
    });
  });

  it('takes long, short, `=` and repeated forms', () => {
    const parsed = parseArguments(
      [
        '-p',
        'Tell me',
        '--max-tokens=8',
        '--stop',
        '.',
        '--stop=!',
        '--stream',
        '--top-p',
        '0.5',
        '--sampler',
        'top-p',
      ],
      spec,
    );
    expect(parsed?.options).toMatchObject({
      prompt: 'Tell me',
      maxTokens: 8,
      stop: ['.', '!'],
      stream: true,
      topP: 0.5,
      sampler: 'top-p',
    });
  });

  it('returns no options for --help, and the usage lists every option with its default', () => {
    expect(parseArguments(['--max-tokens', '3', '-h'], spec)).toBeUndefined();
    expect(withOptions(spec, () => 'ran')(['--help'])).toBe(usage(spec));
    expect(usage(spec)).toContain('-n, --max-tokens N');
    expect(usage(spec)).toContain('at most N tokens (default 64)');
    expect(usage(spec)).toContain('--sampler NAME');
    expect(usage(spec)).toContain('how to sample: greedy, top-p (default "greedy")');
    expect(usage(spec)).toContain('-h, --help');
  });

  it('names the option and the value of every mistake', () => {
    const mistakes: [string[], string][] = [
      [['--max-tokens', 'ten'], '--max-tokens "ten": expected a whole number ≥ 1 (below 2^32)'],
      [['-n', '0'], '--max-tokens "0": expected a whole number ≥ 1 (below 2^32)'],
      [['-n', '99999999999'], '--max-tokens "99999999999": expected a whole number ≥ 1 (below 2^32)'],
      [['--temperature', '-1'], '--temperature "-1": expected a number ≥ 0'],
      [['--top-p', '1.5'], '--top-p "1.5": expected a number within [0, 1]'],
      [['--sampler', 'beam'], '--sampler "beam": expected one of greedy, top-p'],
      [['--stop', ''], '--stop "": expected a non-empty text'],
      [['--stream=yes'], '--stream takes no value'],
      [['--prompt'], '--prompt needs a value (TEXT)'],
      [['--promt', 'x'], 'unknown option "--promt"; see --help'],
      [['hello'], 'unexpected argument "hello"; see --help'],
    ];
    for (const [args, message] of mistakes)
      expect(() => parseArguments(args, spec), args.join(' ')).toThrow(message);
  });

  it('refuses a spec that declares a flag twice', () => {
    expect(() =>
      parseArguments([], {
        summary: 'x',
        options: { hint: { kind: 'switch', short: 'h', help: 'clashes with --help' } },
      }),
    ).toThrow("parseArguments: -h is declared twice (or is --help's)");
  });

  it('keeps positionals where declared, and every argument after --', () => {
    const labels = { ...spec, positionals: 'LABEL…' } as const;
    expect(parseArguments(['yes', '-p', 'Q', 'no', '--', '--stream', '-1'], labels)?.positionals).toEqual([
      'yes',
      'no',
      '--stream',
      '-1',
    ]);
  });

  it('reads back any text given to a text option, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (prompt, stop) => {
        const parsed = parseArguments([`--prompt=${prompt}`, '--stop', stop], spec);
        expect(parsed?.options.prompt).toBe(prompt);
        expect(parsed?.options.stop).toEqual([stop]);
      }),
    );
  });
});
