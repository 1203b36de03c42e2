import { type LanguageModel, referenceModel } from './language-model.ts';
import { qwen3Tokenizer, type Tokenizer } from './tokenizer.ts';

/** A model the host serves, as a user registers it. */
export interface ModelSpec {
  readonly name: string;
  readonly traits?: readonly string[];
  readonly description?: string;
  /** A Jinja chat template, as `model.get-prompt-template` returns it. */
  readonly promptTemplate?: string;
  /** Stop-token strings, as `model.get-stop-tokens` returns them. */
  readonly stopTokens?: readonly string[];
  /** Tokens per KV page; 16 by default. */
  readonly kvPageSize?: number;
  /** Qwen 3's tokenizer by default; loaded on first use. */
  readonly tokenizer?: () => Tokenizer;
  /** The reference copy model over the tokenizer's vocabulary by default (its end of turn: the first stop token). */
  readonly languageModel?: () => LanguageModel;
}

/** A served model: its spec with defaults filled in, and its service id (its index in the host). */
export interface ServedModel {
  readonly name: string;
  readonly traits: readonly string[];
  readonly description: string;
  readonly promptTemplate: string;
  readonly stopTokens: readonly string[];
  readonly kvPageSize: number;
  readonly serviceId: number;
  readonly tokenizer: () => Tokenizer;
  readonly languageModel: () => LanguageModel;
}

const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
};

/** Copies `spec` with defaults; what the tokenizer and model need is made on first use. */
export function serveModels(specs: readonly ModelSpec[]): ServedModel[] {
  const names = new Set<string>();
  return specs.map((spec, serviceId) => {
    if (names.has(spec.name)) {
      throw new Error(`createHost: model name ${JSON.stringify(spec.name)} is registered twice`);
    }
    names.add(spec.name);
    const kvPageSize = spec.kvPageSize ?? 16;
    if (!Number.isInteger(kvPageSize) || kvPageSize < 1) {
      throw new Error(
        `createHost: model ${JSON.stringify(spec.name)} has kvPageSize ${kvPageSize}; it must be a positive integer`,
      );
    }
    const stopTokens = [...(spec.stopTokens ?? [])];
    const tokenizer = once(spec.tokenizer ?? qwen3Tokenizer);
    const languageModel = once(() => {
      if (spec.languageModel !== undefined) return spec.languageModel();
      const tokens = tokenizer();
      const endOfTurn = tokens.encode(stopTokens[0] ?? '');
      if (endOfTurn.length !== 1) {
        throw new Error(`model ${spec.name}: the reference model needs a first stop token that is one token`);
      }
      return referenceModel(tokens.vocabSize, endOfTurn[0] ?? 0);
    });
    return {
      name: spec.name,
      traits: [...(spec.traits ?? [])],
      description: spec.description ?? '',
      promptTemplate: spec.promptTemplate ?? '',
      stopTokens,
      kvPageSize,
      serviceId,
      tokenizer,
      languageModel,
    };
  });
}
