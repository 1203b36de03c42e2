/**
 * UTF-8 for the QuickJS prelude, which has no `TextEncoder` or `TextDecoder`: encoding of a string (lone
 * surrogates as U+FFFD, as `TextEncoder` does) and a decoder that follows the WHATWG "UTF-8 decode"
 * (each maximal invalid subpart becomes one U+FFFD; `stream` keeps an incomplete sequence for the next call);
 * `text.ts` makes globals of the two classes. Tested against Node's (scripts/test/quickjs-prelude.test.ts).
 */
import { utf8Sequence } from '@inferlib/support';

export function encodeUtf8(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    let code = text.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        index++;
      } else {
        code = 0xfffd;
      }
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      code = 0xfffd;
    }
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000)
      bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else {
      bytes.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 0x3f),
        0x80 | ((code >> 6) & 0x3f),
        0x80 | (code & 0x3f),
      );
    }
  }
  return Uint8Array.from(bytes);
}

class Utf8Decoder {
  /** Bytes of a sequence a streaming call ended in the middle of. */
  #pending: number[] = [];
  readonly #fatal: boolean;

  constructor(fatal: boolean) {
    this.#fatal = fatal;
  }

  decode(input: Uint8Array, stream: boolean): string {
    const bytes = this.#pending.length === 0 ? input : Uint8Array.from([...this.#pending, ...input]);
    this.#pending = [];
    let text = '';
    let index = 0;
    const invalid = (): void => {
      if (this.#fatal) throw new TypeError('TextDecoder.decode: the data is not valid UTF-8');
      text += '\ufffd';
    };
    while (index < bytes.length) {
      const lead = bytes[index] as number;
      if (lead < 0x80) {
        text += String.fromCharCode(lead);
        index++;
        continue;
      }
      const sequence = utf8Sequence(lead);
      if (sequence === undefined) {
        invalid();
        index++;
        continue;
      }
      let code = lead & (0xff >> (sequence.length + 1));
      let taken = 1;
      while (taken < sequence.length && index + taken < bytes.length) {
        const byte = bytes[index + taken] as number;
        const [low, high] = taken === 1 ? [sequence.secondLow, sequence.secondHigh] : [0x80, 0xbf];
        if (byte < low || byte > high) break;
        code = (code << 6) | (byte & 0x3f);
        taken++;
      }
      if (taken === sequence.length) {
        text += String.fromCodePoint(code);
      } else if (index + taken === bytes.length && stream) {
        this.#pending = [...bytes.subarray(index)];
      } else {
        invalid();
      }
      index += taken;
    }
    return text;
  }
}

/** `TextEncoder`. */
export class Utf8TextEncoder {
  readonly encoding = 'utf-8';

  encode(text = ''): Uint8Array {
    return encodeUtf8(String(text));
  }
}

/** `TextDecoder` for UTF-8, with `fatal`, `ignoreBOM` and `stream`. */
export class Utf8TextDecoder {
  readonly encoding = 'utf-8';
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  readonly #decoder: Utf8Decoder;
  /** Whether the next text decoded is the start of the stream, where a byte order mark is dropped. */
  #atStart = true;

  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    if (!['utf-8', 'utf8', 'unicode-1-1-utf-8'].includes(String(label).trim().toLowerCase())) {
      throw new RangeError(`TextDecoder: encoding ${JSON.stringify(label)} is not supported (only UTF-8 is)`);
    }
    this.fatal = options.fatal === true;
    this.ignoreBOM = options.ignoreBOM === true;
    this.#decoder = new Utf8Decoder(this.fatal);
  }

  decode(input?: ArrayBuffer | ArrayBufferView, options: { stream?: boolean } = {}): string {
    const bytes =
      input === undefined
        ? new Uint8Array()
        : ArrayBuffer.isView(input)
          ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
          : new Uint8Array(input);
    const stream = options.stream === true;
    let text = this.#decoder.decode(bytes, stream);
    if (this.#atStart && !this.ignoreBOM && text.startsWith('\ufeff')) text = text.slice(1);
    if (text !== '') this.#atStart = false;
    if (!stream) this.#atStart = true;
    return text;
  }
}
