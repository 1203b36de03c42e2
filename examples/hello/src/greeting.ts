/** `Hello, world!` with no names; `Hello, Ada!`, `Hello, Ada and Alan!`, `Hello, Ada, Alan and Grace!`. */
export function greeting(names: readonly string[]): string {
  const all = names.map((name) => name.trim()).filter((name) => name !== '');
  if (all.length === 0) return 'Hello, world!';
  const last = all.pop();
  return `Hello, ${all.length === 0 ? last : `${all.join(', ')} and ${last}`}!`;
}
