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
  readonly #bytes: (Uint8Array | undefined)[] = [];
  readonly #control = new Map<number, boolean>();
  #prefixes: Int32Array | undefined;

  constructor(model: TokenizingModel) {
    const [ids, entries] = model.tokenizer.getVocabs();
    // Plain loops: inside a component this runs interpreted, once per model.
    let largest = -1;
    for (let index = 0; index < ids.length; index++) {
      const id = ids[index] as number;
      this.#bytes[id] = entries[index];
      if (id > largest) largest = id;
    }
    this.size = largest + 1;
    const form = formOf(this.#bytes);
    if (form === 'byte-level') {
      for (let id = 0; id < this.#bytes.length; id++) {
        const entry = this.#bytes[id];
        if (entry !== undefined) this.#bytes[id] = unescapeByteLevel(entry);
      }
    } else if (form === 'sentencepiece') {
      for (let id = 0; id < this.#bytes.length; id++) {
        const entry = this.#bytes[id];
        if (entry !== undefined) this.#bytes[id] = spacesForLowLines(entry);
      }
    }
  }

  /** The bytes of the text `id` writes; `undefined` for a token the vocabulary does not list (a special one). */
  bytes(id: number): Uint8Array | undefined {
    return this.#bytes[id];
  }

  /**
   * Each token's first two bytes as `first << 8 | second`, `first << 8 | 0x1_0000` for a one-byte token, -1
   * for none: what rules most of a large distribution out at once (made the first time it is needed).
   */
  prefixes(): Int32Array {
    if (this.#prefixes === undefined) {
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

type Form = 'byte-level' | 'sentencepiece' | 'bytes';

const aMacron = Uint8Array.of(0xc4, 0x80);
const lowLine = Uint8Array.of(0xe2, 0x96, 0x81);

const equal = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((byte, index) => b[index] === byte);

/** How the entries spell text, told apart as Pie's engine tells them apart. */
function formOf(entries: readonly (Uint8Array | undefined)[]): Form {
  const aMacronId = entries.findIndex((entry) => entry !== undefined && equal(entry, aMacron));
  if (aMacronId !== -1 && (aMacronId < 256 || aMacronId === 1000)) return 'byte-level';
  for (let id = 0; id < Math.min(1000, entries.length); id++) {
    const entry = entries[id];
    if (entry !== undefined && indexOf(entry, lowLine, 0) !== -1) return 'sentencepiece';
  }
  return 'bytes';
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
 * The bytes a byte-level string stands for, read straight from its UTF-8: the alphabet is ASCII and
 * two-byte characters. An entry outside the alphabet is kept as it is (it then writes its own text).
 */
function unescapeByteLevel(entry: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(entry.length);
  let length = 0;
  for (let index = 0; index < entry.length; index++) {
    const lead = entry[index] as number;
    let codePoint = lead;
    if (lead >= 0xc0) {
      if (lead >= 0xe0 || index + 1 >= entry.length) return entry;
      codePoint = ((lead & 0x1f) << 6) | ((entry[++index] as number) & 0x3f);
    }
    const byte = codePoint < byteLevelEnd ? (byteOfCodePoint[codePoint] as number) : -1;
    if (byte === -1) return entry;
    bytes[length++] = byte;
  }
  return bytes.subarray(0, length);
}

function indexOf(bytes: Uint8Array, pattern: Uint8Array, from: number): number {
  for (let start = from; start + pattern.length <= bytes.length; start++) {
    let index = 0;
    while (index < pattern.length && bytes[start + index] === pattern[index]) index++;
    if (index === pattern.length) return start;
  }
  return -1;
}

/** SentencePiece's `▁` written as the space it stands for, as Pie's engine decodes it. */
function spacesForLowLines(entry: Uint8Array): Uint8Array {
  if (indexOf(entry, lowLine, 0) === -1) return entry;
  const bytes: number[] = [];
  for (let index = 0; index < entry.length; index++) {
    if (indexOf(entry.subarray(index, index + 3), lowLine, 0) === 0) {
      bytes.push(0x20);
      index += 2;
    } else {
      bytes.push(entry[index] as number);
    }
  }
  return Uint8Array.from(bytes);
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
