/**
 * Keeps the matcher from ever holding a reader that cannot finish: a grammar is cut down to its
 * *productive* nodes, those that match some finite text. A schema may hold parts that match nothing (an
 * empty `enum` after its `type`, `false`, a pattern no string of the allowed lengths matches, a recursive
 * object that requires itself); an option, optional property or item made of such a part is left out, and
 * a grammar with nothing left is refused.
 */
import { contentAlive, type GrammarNode } from './grammar.ts';
import { numberStart } from './numbers.ts';

/** Every node reachable from `root`. */
function nodesOf(root: GrammarNode): GrammarNode[] {
  const seen = new Set<GrammarNode>();
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop() as GrammarNode;
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push(...childrenOf(node));
  }
  return [...seen];
}

function childrenOf(node: GrammarNode): GrammarNode[] {
  switch (node.kind) {
    case 'sequence':
      return [...node.items];
    case 'alternatives':
      return [...node.options];
    case 'reference':
      return node.target.node === undefined ? [] : [node.target.node];
    case 'array':
      return [...node.prefix, ...(node.items === undefined ? [] : [node.items])];
    case 'object':
      return [
        ...node.properties.map(({ value }) => value),
        ...(node.additional === undefined ? [] : [node.additional]),
      ];
    default:
      return [];
  }
}

/** The item at `index` of an array node, or `undefined` when none may be there. */
const itemAt = (node: Extract<GrammarNode, { kind: 'array' }>, index: number): GrammarNode | undefined =>
  node.prefix[index] ?? node.items;

function productiveNow(node: GrammarNode, productive: ReadonlySet<GrammarNode>): boolean {
  switch (node.kind) {
    case 'literal':
      return true;
    case 'literals':
      return node.trie.value !== undefined || node.trie.children.size > 0;
    case 'text':
      return node.automaton.initial !== null;
    case 'string':
      return (
        node.minLength <= node.maxLength &&
        (node.content === undefined ||
          (node.content.initial !== null && contentAlive(node, node.content.initial, 0)))
      );
    case 'number':
      return node.rules.feasible(numberStart);
    case 'sequence':
      return node.items.every((item) => productive.has(item));
    case 'alternatives':
      return node.options.some((option) => productive.has(option));
    case 'reference':
      return node.target.node !== undefined && productive.has(node.target.node);
    case 'array': {
      if (node.minItems > node.maxItems) return false;
      for (let index = 0; index < node.minItems; index++) {
        const item = itemAt(node, index);
        if (item === undefined || !productive.has(item)) return false;
        if (index >= node.prefix.length) break;
      }
      return true;
    }
    case 'object':
      return node.properties.every(({ required, value }) => !required || productive.has(value));
  }
}

/** The productive nodes of the grammar at `root`, by fixpoint (recursion needs it). */
function productiveNodes(root: GrammarNode): Set<GrammarNode> {
  const nodes = nodesOf(root);
  const productive = new Set<GrammarNode>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const node of nodes) {
      if (!productive.has(node) && productiveNow(node, productive)) {
        productive.add(node);
        changed = true;
      }
    }
  }
  return productive;
}

/** `root` without its unproductive parts; `undefined` when it matches nothing at all. */
export function productiveGrammar(root: GrammarNode): GrammarNode | undefined {
  const productive = productiveNodes(root);
  if (!productive.has(root)) return undefined;
  const rebuilt = new Map<GrammarNode, GrammarNode>();
  const rebuild = (node: GrammarNode): GrammarNode => {
    const done = rebuilt.get(node);
    if (done !== undefined) return done;
    switch (node.kind) {
      case 'reference': {
        const copy: Extract<GrammarNode, { kind: 'reference' }> = {
          kind: 'reference',
          target: { node: undefined },
        };
        rebuilt.set(node, copy);
        copy.target.node = rebuild(node.target.node as GrammarNode);
        return copy;
      }
      case 'sequence':
        return remember(node, { kind: 'sequence', items: node.items.map(rebuild) });
      case 'alternatives':
        return remember(node, {
          kind: 'alternatives',
          options: node.options.filter((option) => productive.has(option)).map(rebuild),
        });
      case 'array': {
        let maxItems = node.maxItems;
        for (let index = 0; index < maxItems; index++) {
          const item = itemAt(node, index);
          if (item === undefined || !productive.has(item)) maxItems = index;
          if (index >= node.prefix.length) break;
        }
        const prefix = node.prefix.slice(0, Math.min(maxItems, node.prefix.length)).map(rebuild);
        const items = node.items !== undefined && productive.has(node.items) && maxItems > prefix.length;
        return remember(node, {
          kind: 'array',
          prefix,
          items: items ? rebuild(node.items as GrammarNode) : undefined,
          minItems: node.minItems,
          maxItems: items ? maxItems : prefix.length,
        });
      }
      case 'object':
        return remember(node, {
          kind: 'object',
          properties: node.properties
            .filter(({ value }) => productive.has(value))
            .map((property) => ({ ...property, value: rebuild(property.value) })),
          additional:
            node.additional !== undefined && productive.has(node.additional)
              ? rebuild(node.additional)
              : undefined,
          // A property left out for want of a valid value is no extra property either.
          excluded: [
            ...node.excluded,
            ...node.properties.filter(({ value }) => !productive.has(value)).map(({ name }) => name),
          ],
          keyTries: new Map(),
        });
      default:
        return node;
    }
  };
  const remember = (node: GrammarNode, copy: GrammarNode): GrammarNode => {
    rebuilt.set(node, copy);
    return copy;
  };
  return rebuild(root);
}
