import { isControlToken, isMarkupShaped, type TokenizingModel } from './literal-content.ts';

/**
 * A model's tokens as bytes: what constrained generation judges a candidate token by. `get-vocabs` is the
 * one call of the host ABI that tells a token's bytes, and it tells all of them at once, so a model's
 * vocabulary is fetched the first time it is needed and kept (see `docs/decisions.md` for its cost).
 */
export class Vocabulary {
  /** How many tokens the vocabulary has: the most a distribution can hold. */
  readonly size: number;
  readonly #bytes: (Uint8Array | undefined)[] = [];
  readonly #control = new Map<number, boolean>();

  constructor(model: TokenizingModel) {
    const [ids, bytes] = model.tokenizer.getVocabs();
    ids.forEach((id, index) => {
      this.#bytes[id] = bytes[index];
    });
    this.size = ids.length;
  }

  bytes(id: number): Uint8Array | undefined {
    return this.#bytes[id];
  }

  /**
   * Whether the token is a control token (`<|im_end|>`, `<tool_call>`): its text has markup's shape and the
   * tokenizer of `model` (this vocabulary's) makes that text this one token. Constrained text never holds one,
   * whatever its text.
   */
  isControl(id: number, model: TokenizingModel): boolean {
    const bytes = this.#bytes[id];
    // Markup starts with `<` or `[`: any other token is text, without decoding it.
    if (bytes === undefined || (bytes[0] !== 0x3c && bytes[0] !== 0x5b)) return false;
    let control = this.#control.get(id);
    if (control === undefined) {
      const text = new TextDecoder().decode(bytes);
      control = isMarkupShaped(text) && isControlToken(text, model);
      this.#control.set(id, control);
    }
    return control;
  }
}

const vocabularies = new Map<string, Vocabulary>();

/** The vocabulary of `model`, fetched once per model name. */
export function vocabularyOf(model: TokenizingModel): Vocabulary {
  let vocabulary = vocabularies.get(model.name);
  if (vocabulary === undefined) {
    vocabulary = new Vocabulary(model);
    vocabularies.set(model.name, vocabulary);
  }
  return vocabulary;
}
