import { describe, expect, it } from 'vitest';
import { type BuildTarget, providersFor } from '../../cli/src/targets.ts';

/** A target with only what `providersFor` reads. */
const target = (
  name: string,
  exports: string[],
  manifest: Partial<BuildTarget['manifest']> = {},
): BuildTarget =>
  ({
    name,
    kind: exports.length === 0 ? 'app' : 'module',
    world: { imports: [], exports },
    manifest: { world: name, wit: 'wit', ...manifest },
  }) as unknown as BuildTarget;

const both = ['inferlib:context/inference', 'inferlib:context/generation'];
const context = target('context', both);
const pld = target('context-pld', both, { alternativeOf: 'context' });
const chat = target('chat', ['inferlib:chat/formatter']);

describe('providersFor', () => {
  it('gives each interface its module, and an alternative only to the apps that use it', () => {
    const plain = providersFor(target('app', []), [chat, context, pld]);
    expect(plain.get('inferlib:context/inference')).toBe(context);
    expect(plain.get('inferlib:chat/formatter')).toBe(chat);
    const using = providersFor(target('app', [], { use: ['context-pld'] }), [chat, context, pld]);
    expect(using.get('inferlib:context/inference')).toBe(pld);
    expect(using.get('inferlib:context/generation')).toBe(pld);
    expect(using.get('inferlib:chat/formatter')).toBe(chat);
  });

  it('refuses a use that names no alternative, and an alternative that does not export what it replaces', () => {
    expect(() => providersFor(target('app', [], { use: ['chat'] }), [chat, context, pld])).toThrow(
      'app uses "chat", which is no alternative module (there are: context-pld)',
    );
    const partial = target('context-lite', both.slice(0, 1), { alternativeOf: 'context' });
    expect(() => providersFor(target('app', [], { use: ['context-lite'] }), [context, partial])).toThrow(
      'context-lite is an alternative of "context", but does not export inferlib:context/generation',
    );
    const orphan = target('context-orphan', both, { alternativeOf: 'contexts' });
    expect(() => providersFor(target('app', [], { use: ['context-orphan'] }), [context, orphan])).toThrow(
      'context-orphan is an alternative of "contexts", which is no module',
    );
  });
});
