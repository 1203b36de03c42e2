import { byteLevelCodePoints, byteLevelEnd } from '@inferlib/support';
import { isControlToken, isMarkupShaped, type TokenizingModel } from './literal-content.ts';

/**
 * A model's tokens as the bytes of the text they write: what constrained generation judges a candidate
 * token by. `get-vocabs` is the one call of the host ABI that tells a token's text, and it tells all of them
 * at once, so a model's vocabulary is fetched the first time it is needed and kept (`docs/decisions.md`).
 *
 * Its entries come as the host's tokenizer holds them, which Pie's engine decodes before giving text out
 * (`runtime/src/model/tokenizer.rs`): a byte-level BPE vocabulary as the UTF-8 of its byte-level strings
 * (`Ġ` for a space), a SentencePiece one with `▁` for a space, others as their bytes; the special tokens are
 * left out. The vocabulary is read as Pie's engine reads it, told apart as Pie tells them apart
 * (`pie_worker/hf_utils.py`): byte-level when the entry `Ā` (the byte 0x00) has an id below 256 or 1,000
 * (Mistral's Tekken), SentencePiece when one of the first 1,000 ids holds `▁`.
 */
export class Vocabulary {
  /** One more than the largest id of the vocabulary: the most a distribution can hold of it. */
  readonly size: number;
  /**
   * Every token's bytes in one buffer, token `id` at `[#starts[id], #ends[id])` (empty for an id the host did
   * not list): one object instead of 150,000, which a JS engine inside a component would have to hold.
   */
  readonly #data: Uint8Array;
  readonly #starts: Int32Array;
  readonly #ends: Int32Array;
  readonly #control = new Map<number, boolean>();
  #prefixes: Int32Array | undefined;

  constructor(model: TokenizingModel) {
    const [ids, entries] = model.tokenizer.getVocabs();
    // Plain loops: inside a component this runs interpreted, once per model.
    let largest = -1;
    let total = 0;
    for (let index = 0; index < ids.length; index++) {
      largest = Math.max(largest, ids[index] as number);
      total += (entries[index] as Uint8Array).length;
    }
    this.size = largest + 1;
    this.#starts = new Int32Array(this.size);
    this.#ends = new Int32Array(this.size);
    this.#data = new Uint8Array(total);
    const form = formOf(ids, entries);
    let length = 0;
    for (let index = 0; index < ids.length; index++) {
      const id = ids[index] as number;
      const entry = entries[index] as Uint8Array;
      this.#starts[id] = length;
      length =
        form === 'byte-level'
          ? unescapeByteLevel(entry, this.#data, length)
          : form === 'sentencepiece'
            ? spacesForLowLines(entry, this.#data, length)
            : copy(entry, this.#data, length);
      this.#ends[id] = length;
    }
  }

  /** The bytes of the text `id` writes; `undefined` for a token the vocabulary does not list (a special one). */
  bytes(id: number): Uint8Array | undefined {
    const start = this.#starts[id];
    const end = this.#ends[id];
    return start === undefined || end === undefined || end === start
      ? undefined
      : this.#data.subarray(start, end);
  }

  /**
   * Each token's first two bytes as `first << 8 | second`, `first << 8 | 0x1_0000` for a one-byte token, -1
   * for none: what rules most of a large distribution out at once (made the first time it is needed).
   */
  prefixes(): Int32Array {
    if (this.#prefixes === undefined) {
      const prefixes = new Int32Array(this.size).fill(-1);
      for (let id = 0; id < this.size; id++) {
        const start = this.#starts[id] as number;
        const length = (this.#ends[id] as number) - start;
        if (length === 0) continue;
        const first = this.#data[start] as number;
        prefixes[id] = (first << 8) | (length === 1 ? 0x1_0000 : (this.#data[start + 1] as number));
      }
      this.#prefixes = prefixes;
    }
    return this.#prefixes;
  }

  /**
   * Whether the token is a control token (`<|im_end|>`, `<tool_call>`): its text has markup's shape and the
   * tokenizer of `model` (this vocabulary's) makes that text this one token. Constrained text never holds one,
   * whatever its text.
   */
  isControl(id: number, model: TokenizingModel): boolean {
    const start = this.#starts[id];
    // Markup starts with `<` or `[`: any other token is text, without decoding it.
    const first = start === undefined || this.#ends[id] === start ? undefined : this.#data[start];
    if (first !== 0x3c && first !== 0x5b) return false;
    let control = this.#control.get(id);
    if (control === undefined) {
      const text = new TextDecoder().decode(this.bytes(id));
      control = isMarkupShaped(text) && isControlToken(text, model);
      this.#control.set(id, control);
    }
    return control;
  }
}

type Form = 'byte-level' | 'sentencepiece' | 'bytes';

const aMacron = Uint8Array.of(0xc4, 0x80);
const lowLine = Uint8Array.of(0xe2, 0x96, 0x81);

const equal = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((byte, index) => b[index] === byte);

/** How the entries spell text, told apart as Pie's engine tells them apart. */
function formOf(ids: Uint32Array, entries: readonly Uint8Array[]): Form {
  let sentencePiece = false;
  for (let index = 0; index < ids.length; index++) {
    const id = ids[index] as number;
    const entry = entries[index] as Uint8Array;
    if (equal(entry, aMacron) && (id < 256 || id === 1000)) return 'byte-level';
    if (id < 1000 && indexOf(entry, lowLine, 0) !== -1) sentencePiece = true;
  }
  return sentencePiece ? 'sentencepiece' : 'bytes';
}

/** Copies `entry` into `data` at `at`; returns where it ends. */
function copy(entry: Uint8Array, data: Uint8Array, at: number): number {
  data.set(entry, at);
  return at + entry.length;
}

/** The byte each code point of the byte-level alphabet stands for (-1: none does). */
const byteOfCodePoint = (() => {
  const bytes = new Int16Array(byteLevelEnd).fill(-1);
  byteLevelCodePoints.forEach((codePoint, byte) => {
    bytes[codePoint] = byte;
  });
  return bytes;
})();

/**
 * Writes the bytes a byte-level string stands for into `data` at `at`, read straight from its UTF-8 (the
 * alphabet is ASCII and two-byte characters); returns where they end. An entry outside the alphabet is
 * copied as it is (it then writes its own text).
 */
function unescapeByteLevel(entry: Uint8Array, data: Uint8Array, at: number): number {
  let end = at;
  for (let index = 0; index < entry.length; index++) {
    const lead = entry[index] as number;
    let codePoint = lead;
    if (lead >= 0xc0) {
      if (lead >= 0xe0 || index + 1 >= entry.length) return copy(entry, data, at);
      codePoint = ((lead & 0x1f) << 6) | ((entry[++index] as number) & 0x3f);
    }
    const byte = codePoint < byteLevelEnd ? (byteOfCodePoint[codePoint] as number) : -1;
    if (byte === -1) return copy(entry, data, at);
    data[end++] = byte;
  }
  return end;
}

function indexOf(bytes: Uint8Array, pattern: Uint8Array, from: number): number {
  for (let start = from; start + pattern.length <= bytes.length; start++) {
    let index = 0;
    while (index < pattern.length && bytes[start + index] === pattern[index]) index++;
    if (index === pattern.length) return start;
  }
  return -1;
}

/** Writes `entry` into `data` at `at` with SentencePiece's `▁` as the space it stands for; returns the end. */
function spacesForLowLines(entry: Uint8Array, data: Uint8Array, at: number): number {
  let end = at;
  for (let index = 0; index < entry.length; index++) {
    if (entry[index] === 0xe2 && entry[index + 1] === 0x96 && entry[index + 2] === 0x81) {
      data[end++] = 0x20;
      index += 2;
    } else {
      data[end++] = entry[index] as number;
    }
  }
  return end;
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
