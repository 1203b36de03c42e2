/** A placeholder for a message's content; no template markup holds it. */
const placeholder = '\u0000';

/**
 * The template's text before and after a message's content, found by rendering the message (`render`) with
 * a placeholder for it; `undefined` when the placeholder does not appear exactly once (a template that
 * drops or repeats the content).
 */
export function aroundContent(render: (content: string) => string): readonly [string, string] | undefined {
  const [before, after, ...more] = render(placeholder).split(placeholder);
  return before === undefined || after === undefined || more.length > 0 ? undefined : [before, after];
}
