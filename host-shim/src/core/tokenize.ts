import type * as Common from 'inferlet:core/common';
import type * as Tokenize from 'inferlet:core/tokenize';
import type { Tokenizer as ModelTokenizer } from '../tokenizer.ts';
import type { CommonImports } from './common.ts';

const iface = 'inferlet:core/tokenize';

/** `inferlet:core/tokenize` for one inferlet instance. */
export function createTokenize(common: CommonImports) {
  class Tokenizer implements Tokenize.Tokenizer {
    readonly #tokenizer: ModelTokenizer;

    constructor(tokenizer: ModelTokenizer) {
      this.#tokenizer = tokenizer;
    }
    tokenize(text: string): Uint32Array {
      return Uint32Array.from(this.#tokenizer.encode(text));
    }
    detokenize(tokens: Uint32Array): string {
      const vocabSize = this.#tokenizer.vocabSize;
      for (const token of tokens) {
        if (token >= vocabSize)
          throw new Error(
            `${iface}.tokenizer.detokenize: token ${token} is outside the vocabulary (${vocabSize} tokens)`,
          );
      }
      return this.#tokenizer.decode([...tokens]);
    }
    getVocabs(): [Uint32Array, Uint8Array[]] {
      const [ids, bytes] = this.#tokenizer.vocabs();
      return [Uint32Array.from(ids), bytes];
    }
    [Symbol.dispose](): void {}
  }

  return {
    Tokenizer,
    getTokenizer(queue: Common.Model): Tokenizer {
      if (!(queue instanceof common.Model))
        throw new Error(`${iface}.get-tokenizer: the model is not one this host made`);
      return new Tokenizer(queue.served.tokenizer());
    },
  };
}
