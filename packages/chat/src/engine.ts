/**
 * Jinja templates rendered by @huggingface/jinja, configured and corrected to render as the reference
 * engine (minijinja, which follows Jinja2) does. The differences closed here, each with a test:
 * - `trim_blocks` and `lstrip_blocks` are off (the package's `Template` forces both on);
 * - `tojson` writes minijinja's JSON (`json.ts`);
 * - reading an attribute or item of an undefined value is an error, as with Jinja2's default `Undefined`
 *   (the package returns another undefined, so `messages[0].role` on an empty list rendered as if empty);
 * - values print as Python's `str` (`True`, `None`, `[1, 'a']`), in output, `~`, `string` and `join`;
 * - `str * int` repeats, and the `format` filter exists.
 */
import * as jinja from '@huggingface/jinja';
import { type RuntimeValue, toJson } from './json.ts';
import { JsonFloat, JsonObject } from './parse-json.ts';
import { percentFormat, pythonStr } from './python.ts';

/**
 * The package's own declarations do not resolve under NodeNext (its `.d.ts` files import each other without
 * extensions), so the parts used here are typed here.
 */
interface Environment {
  set(name: string, value: unknown): unknown;
  setVariable(name: string, value: RuntimeValue): unknown;
  lookupVariable(name: string): RuntimeValue;
}
type Program = { readonly type: 'Program' };
const Environment = jinja.Environment as unknown as new (parent?: Environment) => Environment;
const Interpreter = jinja.Interpreter as unknown as new (
  environment: Environment,
) => {
  run(program: Program): RuntimeValue;
};
const tokenize = jinja.tokenize as unknown as (
  source: string,
  options: { lstrip_blocks: boolean; trim_blocks: boolean },
) => unknown[];
const parse = jinja.parse as unknown as (tokens: unknown[]) => Program;

interface Node {
  readonly type: string;
}

interface IdentifierNode extends Node {
  readonly value: string;
}

interface CallNode extends Node {
  readonly callee: Node;
  readonly args: readonly Node[];
}

interface BinaryNode extends Node {
  readonly operator: { readonly value: string };
  readonly left: Node;
  readonly right: Node;
}

interface MemberNode extends Node {
  readonly object: Node;
  readonly property: Node;
  readonly computed: boolean;
}

/** The interpreter's internals this module hooks, private in the package's types. */
interface InterpreterInternals {
  evaluate(node: Node, environment: Environment): RuntimeValue;
  applyFilter(operand: RuntimeValue, filter: Node, environment: Environment): RuntimeValue;
  evaluateMemberExpression(expression: MemberNode, environment: Environment): RuntimeValue;
  evaluateBinaryExpression(expression: BinaryNode, environment: Environment): RuntimeValue;
  evaluateBlock(statements: readonly Node[], environment: Environment): RuntimeValue;
  evaluateArguments(
    args: readonly Node[],
    environment: Environment,
  ): [RuntimeValue[], Map<string, RuntimeValue>];
}

const base = Interpreter.prototype as unknown as InterpreterInternals;

/** The @huggingface/jinja release whose internals this module overrides (a test pins the installed one). */
export const jinjaInternalsVersion = '0.5.11';
const internals: readonly (keyof InterpreterInternals)[] = [
  'evaluate',
  'applyFilter',
  'evaluateMemberExpression',
  'evaluateBinaryExpression',
  'evaluateBlock',
  'evaluateArguments',
];
for (const name of internals) {
  if (typeof base[name] !== 'function') {
    throw new Error(
      `@huggingface/jinja's Interpreter has no ${name} any more: packages/chat/src/engine.ts overrides it (written for ${jinjaInternalsVersion}); review the overrides`,
    );
  }
}

/** The package does not export its value classes; values of each kind give their classes. */
const valueClasses = (() => {
  const classOf = <T>(sample: unknown) => {
    const probe = new Environment();
    probe.set('sample', sample);
    return probe.lookupVariable('sample').constructor as new (
      value: T,
    ) => RuntimeValue;
  };
  return {
    StringValue: classOf<string>(''),
    IntegerValue: classOf<number | bigint>(1),
    FloatValue: classOf<number>(1.5),
    BooleanValue: classOf<boolean>(true),
    NullValue: classOf<null>(null),
    ArrayValue: classOf<RuntimeValue[]>([]),
    ObjectValue: classOf<Map<string, RuntimeValue>>({}),
    FunctionValue: classOf<(args: RuntimeValue[], scope: Environment) => RuntimeValue>(() => null),
    UndefinedValue: new Environment().lookupVariable('never-set').constructor as new () => RuntimeValue,
  };
})();
const { StringValue, FunctionValue, UndefinedValue } = valueClasses;

/** Template variables as runtime values; unlike the package's own conversion, JSON floats and member order stay. */
function toRuntimeValue(value: unknown): RuntimeValue {
  if (value instanceof JsonFloat) return new valueClasses.FloatValue(value.value);
  if (value instanceof JsonObject) {
    return new valueClasses.ObjectValue(
      new Map(value.entries.map(([key, item]) => [key, toRuntimeValue(item)])),
    );
  }
  switch (typeof value) {
    case 'string':
      return new valueClasses.StringValue(value);
    case 'bigint':
      return new valueClasses.IntegerValue(value);
    case 'number':
      return Number.isInteger(value)
        ? new valueClasses.IntegerValue(value)
        : new valueClasses.FloatValue(value);
    case 'boolean':
      return new valueClasses.BooleanValue(value);
    case 'undefined':
      return new valueClasses.UndefinedValue();
    case 'object':
      if (value === null) return new valueClasses.NullValue(null);
      if (Array.isArray(value)) return new valueClasses.ArrayValue(value.map(toRuntimeValue));
      return new valueClasses.ObjectValue(
        new Map(Object.entries(value).map(([key, item]) => [key, toRuntimeValue(item)])),
      );
    default:
      throw new Error(`cannot pass a ${typeof value} to a template`);
  }
}

/** The interpreter with the reference engine's behaviour where the package differs. */
class ReferenceInterpreter extends Interpreter {}
const hooks = ReferenceInterpreter.prototype as unknown as InterpreterInternals;

hooks.applyFilter = function (this: InterpreterInternals, operand, filter, environment) {
  if (filter.type === 'Identifier') {
    switch ((filter as IdentifierNode).value) {
      case 'tojson':
        return new StringValue(toJson(operand));
      case 'string':
        return new StringValue(pythonStr(operand));
      case 'join':
        if (isSequence(operand)) return new StringValue(joined(operand, ''));
        break;
      case 'first':
      case 'last':
        // Jinja2 gives undefined for an empty sequence; the package fails on it.
        if (isSequence(operand) && (operand.value as RuntimeValue[]).length === 0)
          return new UndefinedValue();
    }
  }
  if (filter.type === 'CallExpression') {
    const call = filter as CallNode;
    const name = call.callee.type === 'Identifier' ? (call.callee as IdentifierNode).value : undefined;
    if (name === 'tojson') return new StringValue(toJson(operand, tojsonIndent(this, call, environment)));
    if (name === 'format' || name === 'join') {
      const [args, keywords] = this.evaluateArguments(call.args, environment);
      if (name === 'format' && operand.type === 'StringValue' && keywords.size === 0) {
        return new StringValue(percentFormat(operand.value as string, args));
      }
      const [separator] = args;
      if (
        name === 'join' &&
        isSequence(operand) &&
        keywords.size === 0 &&
        args.length === 1 &&
        separator?.type === 'StringValue'
      ) {
        return new StringValue(joined(operand, separator.value as string));
      }
    }
  }
  return base.applyFilter.call(this, operand, filter, environment);
};

const isSequence = (value: RuntimeValue): boolean =>
  value.type === 'ArrayValue' || value.type === 'TupleValue';

const joined = (sequence: RuntimeValue, separator: string): string =>
  (sequence.value as RuntimeValue[]).map(pythonStr).join(separator);

/** Statements whose value is not output; every other statement is an expression whose value prints. */
const silentStatements = new Set(['Set', 'Macro', 'Comment', 'Break', 'Continue']);

hooks.evaluateBlock = function (this: InterpreterInternals, statements, environment) {
  let output = '';
  for (const statement of statements) {
    const value = this.evaluate(statement, environment);
    if (!(silentStatements.has(statement.type) && value.type === 'NullValue')) output += pythonStr(value);
  }
  return new StringValue(output);
};

hooks.evaluateBinaryExpression = function (this: InterpreterInternals, expression, environment) {
  const operator = expression.operator.value;
  if (operator !== '~' && operator !== '*' && operator !== '%') {
    return base.evaluateBinaryExpression.call(this, expression, environment);
  }
  const left = this.evaluate(expression.left, environment);
  const right = this.evaluate(expression.right, environment);
  if (operator === '~') return new StringValue(pythonStr(left) + pythonStr(right));
  if (operator === '%' && left.type === 'StringValue') {
    const args = right.type === 'TupleValue' ? (right.value as RuntimeValue[]) : [right];
    return new StringValue(percentFormat(left.value as string, args));
  }
  const repeated = left.type === 'StringValue' ? [left, right] : [right, left];
  if (repeated[0]?.type === 'StringValue' && repeated[1]?.type === 'IntegerValue') {
    return new StringValue((repeated[0].value as string).repeat(Math.max(0, repeated[1].value as number)));
  }
  // Anything else is the package's arithmetic, on the operands just computed.
  const scope = new Environment(environment);
  scope.setVariable(leftSlot, left);
  scope.setVariable(rightSlot, right);
  return base.evaluateBinaryExpression.call(
    this,
    { ...expression, left: slotNode(leftSlot), right: slotNode(rightSlot) },
    scope,
  );
};

const leftSlot = '\u0000left';
const rightSlot = '\u0000right';
const slotNode = (name: string): IdentifierNode => ({ type: 'Identifier', value: name });

/** The `indent` of `tojson(indent)` or `tojson(indent=n)`. */
function tojsonIndent(
  interpreter: InterpreterInternals,
  call: CallNode,
  environment: Environment,
): number | undefined {
  const [argument] = call.args;
  if (argument === undefined) return undefined;
  const node =
    argument.type === 'KeywordArgumentExpression' ? (argument as unknown as { value: Node }).value : argument;
  const value = interpreter.evaluate(node, environment);
  if (value.type !== 'IntegerValue') throw new Error(`tojson: indent must be an integer, got ${value.type}`);
  return value.value as number;
}

hooks.evaluateMemberExpression = function (this: InterpreterInternals, expression, environment) {
  const object = this.evaluate(expression.object, environment);
  if (object.type === 'UndefinedValue') {
    throw new Error(`UndefinedError: ${describeAccess(expression)} of an undefined value`);
  }
  const method =
    object.type === 'StringValue' && !expression.computed
      ? stringMethods[(expression.property as IdentifierNode).value]
      : undefined;
  if (method !== undefined) {
    const text = object.value as string;
    return new FunctionValue((args) => new StringValue(method(text, ...args)));
  }
  // Let the package do the lookup on the value just computed, without evaluating the object again.
  const scope = new Environment(environment);
  scope.setVariable(objectSlot, object as never);
  return base.evaluateMemberExpression.call(this, { ...expression, object: slotNode(objectSlot) }, scope);
};

/** Python string methods the package lacks or gets wrong (`strip` ignored its characters, `title` kept case). */
const stringMethods: Record<string, (text: string, ...args: RuntimeValue[]) => string> = {
  strip: (text, chars) => stripEnds(text, chars, true, true),
  lstrip: (text, chars) => stripEnds(text, chars, true, false),
  rstrip: (text, chars) => stripEnds(text, chars, false, true),
  title: (text) => {
    let output = '';
    let previousCased = false;
    for (const char of text) {
      const cased = char.toLowerCase() !== char.toUpperCase();
      output += cased ? (previousCased ? char.toLowerCase() : char.toUpperCase()) : char;
      previousCased = cased;
    }
    return output;
  },
};

function stripEnds(text: string, chars: RuntimeValue | undefined, start: boolean, end: boolean): string {
  const set = chars === undefined || chars.type === 'NullValue' ? undefined : new Set(chars.value as string);
  const strip = (char: string | undefined) =>
    char !== undefined && (set === undefined ? /\s/.test(char) : set.has(char));
  const characters = [...text];
  let from = 0;
  let to = characters.length;
  while (start && from < to && strip(characters[from])) from++;
  while (end && to > from && strip(characters[to - 1])) to--;
  return characters.slice(from, to).join('');
}

const objectSlot = '\u0000object';

function describeAccess(expression: MemberNode): string {
  const property = expression.property as Partial<IdentifierNode> & Node;
  if (!expression.computed && typeof property.value === 'string')
    return `cannot read attribute ${JSON.stringify(property.value)}`;
  if (property.type === 'IntegerLiteral' || property.type === 'StringLiteral') {
    return `cannot read item ${JSON.stringify((property as { value: unknown }).value)}`;
  }
  return 'cannot read an item';
}

/** Globals of the reference environment (Jinja2's, plus `raise_exception` that chat templates call). */
function setGlobals(environment: Environment): void {
  for (const [name, value] of Object.entries({
    true: true,
    false: false,
    none: null,
    True: true,
    False: false,
    None: null,
  })) {
    environment.set(name, value);
  }
  environment.set('raise_exception', (message: unknown) => {
    throw new Error(`raise_exception: ${String(message)}`);
  });
  environment.set('range', (first: number, second?: number, step = 1) => {
    const [start, stop] = second === undefined ? [0, first] : [first, second];
    if (step === 0) throw new Error('range: step must not be zero');
    const values: number[] = [];
    for (let value = start; step > 0 ? value < stop : value > stop; value += step) values.push(value);
    return values;
  });
}

export class CompiledTemplate {
  readonly #program: Program;

  /** Parses `source`; a syntax error throws with the engine's message. */
  constructor(source: string) {
    this.#program = parse(tokenize(source, { lstrip_blocks: false, trim_blocks: false }));
  }

  /** Renders with `variables`; a template error at render time throws with its message. */
  render(variables: Record<string, unknown>): string {
    const environment = new Environment();
    setGlobals(environment);
    for (const [name, value] of Object.entries(variables))
      environment.setVariable(name, toRuntimeValue(value));
    return new ReferenceInterpreter(environment).run(this.#program).value as string;
  }
}
