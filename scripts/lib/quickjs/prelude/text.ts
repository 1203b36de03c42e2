/** `TextEncoder` and `TextDecoder` (UTF-8 only) for the QuickJS engine, which has neither. */
import { encodeUtf8, Utf8Decoder } from './utf8.ts';

class Utf8TextEncoder {
  readonly encoding = 'utf-8';

  encode(text = ''): Uint8Array {
    return encodeUtf8(String(text));
  }
}

class Utf8TextDecoder {
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

Object.assign(globalThis, { TextEncoder: Utf8TextEncoder, TextDecoder: Utf8TextDecoder });
