import { isControlToken, isMarkupShaped, type TokenizingModel } from './literal-content.ts';

/**
 * A model's tokens as bytes: what constrained generation judges a candidate token by. `get-vocabs` is the
 * one call of the host ABI that tells a token's bytes, and it tells all of them at once, so a model's
 * vocabulary is fetched the first time it is needed and kept (see `docs/decisions.md` for its cost).
 */
export class Vocabulary {
  /** How many tokens the vocabulary has: the most a distribution can hold. */
  readonly size: number;
  readonly #bytes: (Uint8Array | undefined)[];
  readonly #control = new Map<number, boolean>();
  #prefixes: Int32Array | undefined;

  constructor(model: TokenizingModel) {
    const [ids, bytes] = model.tokenizer.getVocabs();
    this.size = ids.length;
    // Hosts list the tokens in id order: then the bytes are already indexed by id.
    let inOrder = true;
    for (let index = 0; index < ids.length && inOrder; index++) inOrder = ids[index] === index;
    if (inOrder) this.#bytes = bytes;
    else {
      this.#bytes = [];
      for (let index = 0; index < ids.length; index++) this.#bytes[ids[index] as number] = bytes[index];
    }
  }

  /**
   * Each token's first two bytes as `first << 8 | second`, `first << 8 | 0x1_0000` for a one-byte token, -1
   * for none: what rules most of a large distribution out at once (made the first time it is needed).
   */
  prefixes(): Int32Array {
    if (this.#prefixes === undefined) {
      // Plain loops: inside a component this runs interpreted, once per vocabulary.
      const prefixes = new Int32Array(this.#bytes.length).fill(-1);
      for (let id = 0; id < this.#bytes.length; id++) {
        const bytes = this.#bytes[id];
        if (bytes === undefined || bytes.length === 0) continue;
        prefixes[id] = ((bytes[0] as number) << 8) | (bytes.length === 1 ? 0x1_0000 : (bytes[1] as number));
      }
      this.#prefixes = prefixes;
    }
    return this.#prefixes;
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
