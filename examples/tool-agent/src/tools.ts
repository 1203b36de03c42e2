/** The agent's tools: their definitions as the model sees them, and what each does. */

const capitals: Readonly<Record<string, string>> = {
  France: 'Paris',
  Japan: 'Tokyo',
  Kenya: 'Nairobi',
  Peru: 'Lima',
  Canada: 'Ottawa',
};

/** OpenAI-style function definitions, for `set-tools`. */
export const definitions = [
  {
    type: 'function',
    function: {
      name: 'calculate',
      description: 'Evaluates an arithmetic expression: numbers, + - * /, parentheses.',
      parameters: {
        type: 'object',
        properties: { expression: { type: 'string', pattern: '^[0-9+*/(). -]{1,40}$' } },
        required: ['expression'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'lookup_capital',
      description: 'The capital city of a country.',
      parameters: {
        type: 'object',
        properties: { country: { enum: Object.keys(capitals) } },
        required: ['country'],
      },
    },
  },
] as const;

export const toolNames = definitions.map((tool) => tool.function.name);

/**
 * Runs the tool `name` with its JSON `args`; what it returns (or why it cannot) is the result the model
 * reads, so a malformed expression is a result too, not a failure of the run.
 */
export function runTool(name: string, args: string): string {
  const parsed = JSON.parse(args) as Record<string, unknown>;
  switch (name) {
    case 'calculate':
      try {
        return String(evaluate(String(parsed.expression)));
      } catch (error) {
        return `error: ${error instanceof Error ? error.message : String(error)}`;
      }
    case 'lookup_capital':
      return capitals[String(parsed.country)] ?? `error: no capital known for ${String(parsed.country)}`;
    default:
      return `error: no tool ${name}`;
  }
}

/** An arithmetic expression's value, by recursive descent (no `eval`: the text is the model's). */
export function evaluate(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/()]|\S/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const take = () => tokens[at++];
  const sum = (): number => {
    let value = product();
    while (peek() === '+' || peek() === '-') value = take() === '+' ? value + product() : value - product();
    return value;
  };
  const product = (): number => {
    let value = factor();
    while (peek() === '*' || peek() === '/') value = take() === '*' ? value * factor() : value / factor();
    return value;
  };
  const factor = (): number => {
    const token = take();
    if (token === '-') return -factor();
    if (token === '(') {
      const value = sum();
      if (take() !== ')') throw new Error(`unclosed parenthesis in ${expression}`);
      return value;
    }
    if (token === undefined || !/^\d/.test(token)) {
      throw new Error(`expected a number at ${JSON.stringify(token ?? 'the end')} in ${expression}`);
    }
    return Number(token);
  };
  const value = sum();
  if (at < tokens.length) throw new Error(`unexpected ${JSON.stringify(peek())} in ${expression}`);
  if (!Number.isFinite(value)) throw new Error(`${expression} has no finite value`);
  return value;
}
