/**
 * The byte-level alphabet of GPT-2-style tokenizers (Qwen's, Llama 3's in Hugging Face form; tiktoken's
 * `bytes_to_unicode`): each byte stands for a printable character. Printable Latin-1 bytes stand for
 * themselves; the others, in order, for U+0100 and on.
 */
const printable = (byte: number): boolean =>
  (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);

/** The code point standing for each byte, by byte. */
export const byteLevelCodePoints: readonly number[] = (() => {
  const codePoints: number[] = [];
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) codePoints.push(printable(byte) ? byte : 0x100 + shifted++);
  return codePoints;
})();

/** Past the last code point of the alphabet (U+0143). */
export const byteLevelEnd = 0x144;
