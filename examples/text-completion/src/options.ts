import type { SamplerConfig } from 'inferlib:context/inference';
import { sampler as samplers } from '@inferlib/context-bindings';
import { type Options, parseArguments, UsageError, usage } from '@inferlib/run-bindings/options';

export const command = {
  summary: "text-completion: completes a prompt as a chat turn on the runtime's default model.",
  options: {
    prompt: { kind: 'text', short: 'p', default: 'Say hello to the world.', help: 'the user message' },
    maxTokens: { kind: 'count', short: 'n', default: 64, help: 'stop after N generated tokens' },
    system: { kind: 'text', help: 'a system message before the prompt' },
    sampler: {
      kind: 'choice',
      choices: ['greedy', 'multinomial', 'top-p', 'top-k', 'min-p', 'top-k-top-p'],
      default: 'greedy',
      help: 'how the next token is chosen',
    },
    temperature: { kind: 'number', default: 0.7, help: 'for the sampling samplers' },
    topP: { kind: 'number', default: 0.9, max: 1, help: 'for top-p and top-k-top-p' },
    topK: { kind: 'count', default: 40, min: 1, help: 'for top-k and top-k-top-p' },
    minP: { kind: 'number', default: 0.05, max: 1, help: 'for min-p' },
    stop: { kind: 'texts', help: 'also stop where the text holds TEXT (not returned)' },
    stream: { kind: 'switch', help: 'send the text to the client as it is generated, and return nothing' },
    raw: { kind: 'switch', help: "return what generate returns: the end-of-turn token's text included" },
  },
} as const;

/** The `--help` text (`pnpm start --help` shows it without building). */
export const helpText = usage(command);

type Given = Options<typeof command>;

/** The sampler the options name, with their values. */
function samplerOf({ sampler, temperature, topP, topK, minP }: Given): SamplerConfig {
  switch (sampler) {
    case 'greedy':
      return samplers.greedy();
    case 'multinomial':
      return samplers.multinomial({ temperature });
    case 'top-p':
      return samplers.topP({ temperature, p: topP });
    case 'top-k':
      return samplers.topK({ temperature, k: topK });
    case 'min-p':
      return samplers.minP({ temperature, p: minP });
    case 'top-k-top-p':
      return samplers.topKTopP({ temperature, k: topK, p: topP });
  }
}

/** The client's options and the sampler they name, or `undefined` for `--help`; a mistake names the option. */
export function parseOptions(
  args: readonly string[],
): (Given & { samplerConfig: SamplerConfig }) | undefined {
  const parsed = parseArguments(args, command);
  if (parsed === undefined) return undefined;
  const { options } = parsed;
  if (options.stream && options.raw) throw new UsageError('--stream and --raw: choose one');
  if (options.raw && options.stop.length > 0) {
    throw new UsageError('--raw and --stop: generate stops on tokens only; leave out --raw to stop on text');
  }
  return { ...options, samplerConfig: samplerOf(options) };
}
