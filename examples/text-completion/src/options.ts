import type { SamplerConfig } from 'inferlib:context/inference';

export const usage = `text-completion: completes a prompt as a chat turn on the runtime's default model.

  -p, --prompt TEXT       the user message (default: "Say hello to the world.")
  -n, --max-tokens N      stop after N generated tokens (default 64)
      --system TEXT       a system message before the prompt
      --sampler NAME      greedy (default), multinomial, top-p, top-k, min-p or top-k-top-p
      --temperature T     for the sampling samplers (default 0.7)
      --top-p P           (default 0.9)   --top-k K (default 40)   --min-p P (default 0.05)
      --stop TEXT         also stop where the text holds TEXT (not returned); may be given again
      --stream            send the text to the client as it is generated, and return nothing
      --raw               return what generate returns: the end-of-turn token's text included
  -h, --help              this text`;

export interface Options {
  readonly help: boolean;
  readonly prompt: string;
  readonly maxTokens: number;
  readonly system: string | undefined;
  readonly sampler: SamplerConfig;
  readonly stopStrings: readonly string[];
  readonly stream: boolean;
  readonly raw: boolean;
}

const aliases: Record<string, string> = { '-p': '--prompt', '-n': '--max-tokens', '-h': '--help' };
const valued = new Set([
  '--prompt',
  '--max-tokens',
  '--system',
  '--sampler',
  '--temperature',
  '--top-p',
  '--top-k',
  '--min-p',
  '--stop',
]);
const switches = new Set(['--help', '--stream', '--raw']);

function number(name: string, text: string | undefined, fallback: number, integer = false): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} ${text}: expected a ${integer ? 'whole ' : ''}number ≥ 0`);
  }
  return value;
}

/** Parses the client's arguments; a mistake throws an error that names it. */
export function parseOptions(args: readonly string[]): Options {
  const given = new Map<string, string>();
  const stopStrings: string[] = [];
  const on = new Set<string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [aliases[arg] ?? arg, undefined];
    if (switches.has(flag) && inline === undefined) {
      on.add(flag);
      continue;
    }
    if (!valued.has(flag)) throw new Error(`unknown argument ${JSON.stringify(arg)}; see --help`);
    const value = inline ?? args[++index];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--stop') {
      if (value === '') throw new Error('--stop needs a non-empty text');
      stopStrings.push(value);
    } else {
      given.set(flag, value);
    }
  }
  const temperature = number('--temperature', given.get('--temperature'), 0.7);
  const topP = number('--top-p', given.get('--top-p'), 0.9);
  const topK = number('--top-k', given.get('--top-k'), 40, true);
  const minP = number('--min-p', given.get('--min-p'), 0.05);
  const samplers: Record<string, SamplerConfig> = {
    greedy: { tag: 'greedy' },
    multinomial: { tag: 'multinomial', val: temperature },
    'top-p': { tag: 'top-p', val: [temperature, topP] },
    'top-k': { tag: 'top-k', val: [temperature, topK] },
    'min-p': { tag: 'min-p', val: [temperature, minP] },
    'top-k-top-p': { tag: 'top-k-top-p', val: [temperature, topK, topP] },
  };
  const samplerName = given.get('--sampler') ?? 'greedy';
  const sampler = samplers[samplerName];
  if (sampler === undefined)
    throw new Error(`--sampler ${samplerName}: expected one of ${Object.keys(samplers).join(', ')}`);
  if (on.has('--stream') && on.has('--raw')) throw new Error('--stream and --raw: choose one');
  if (on.has('--raw') && stopStrings.length > 0) {
    throw new Error('--raw and --stop: generate stops on tokens only; leave out --raw to stop on text');
  }
  return {
    help: on.has('--help'),
    prompt: given.get('--prompt') ?? 'Say hello to the world.',
    maxTokens: number('--max-tokens', given.get('--max-tokens'), 64, true),
    system: given.get('--system'),
    sampler,
    stopStrings,
    stream: on.has('--stream'),
    raw: on.has('--raw'),
  };
}
