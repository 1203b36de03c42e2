import { describe, expect, it } from 'vitest';
import { errorMessage, stackOf } from '../src/errors.ts';
import { UsageError } from '../src/options.ts';

describe('errorMessage', () => {
  it("gives an error's message, an err's text, and any other thrown value as its JSON or text", () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage(new TypeError(''))).toBe('TypeError');
    expect(errorMessage('inferlib:x.y: bad')).toBe('inferlib:x.y: bad');
    expect(errorMessage(Object.assign(new Error('wrapped'), { payload: 'the err' }))).toBe('the err');
    expect(errorMessage({ code: 7, reason: 'full' })).toBe('a thrown object: {"code":7,"reason":"full"}');
    expect(errorMessage([1, 'two'])).toBe('a thrown array: [1,"two"]');
    expect(errorMessage(42)).toBe('a thrown number: 42');
    expect(errorMessage(undefined)).toBe('a thrown undefined: undefined');
    expect(errorMessage(null)).toBe('a thrown null: null');
    expect(errorMessage(10n)).toBe('a thrown bigint: 10');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(errorMessage(cycle)).toBe('a thrown object: [object Object]');
  });
});

describe('stackOf', () => {
  it("heads an app error's frames with its name and message, whatever the engine's format", () => {
    const quickJs = Object.assign(new TypeError('x is undefined'), {
      stack:
        '    at <anonymous> (componentize-qjs:user.js:14:2394)\n    at run (componentize-qjs:user.js:2:929)\n',
    });
    expect(stackOf(quickJs)).toBe(
      'TypeError: x is undefined\n    at <anonymous> (componentize-qjs:user.js:14:2394)\n    at run (componentize-qjs:user.js:2:929)',
    );
    const spiderMonkey = Object.assign(new Error('boom'), {
      stack: 'run<@app.js:7441:21\nexport_run$run@init.js:2:28\n',
    });
    expect(stackOf(spiderMonkey)).toBe(
      'Error: boom\n    at run<@app.js:7441:21\n    at export_run$run@init.js:2:28',
    );
    expect(stackOf(new Error('in node'))?.split('\n')[1]).toMatch(/^ {4}at .*errors\.test\.ts:\d+:\d+/);
  });

  it('gives none for arguments refused, an err, or a thrown non-error', () => {
    expect(stackOf(new UsageError('--max-tokens "x": expected a whole number'))).toBeUndefined();
    expect(stackOf(Object.assign(new Error('wrapped'), { payload: 'the err' }))).toBeUndefined();
    expect(stackOf('text')).toBeUndefined();
    expect(stackOf(Object.assign(new Error('no frames'), { stack: '' }))).toBeUndefined();
  });
});
