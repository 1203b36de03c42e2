/**
 * Text from bytes that arrive token by token: each push gives the characters it completes, holding back
 * the start of one whose UTF-8 bytes are not all there yet.
 */
export class Utf8Text {
  #held = new Uint8Array();
  readonly #decoder = new TextDecoder();

  push(bytes: Uint8Array): string {
    const all = new Uint8Array(this.#held.length + bytes.length);
    all.set(this.#held);
    all.set(bytes, this.#held.length);
    const whole = all.length - incompleteTail(all);
    this.#held = all.slice(whole);
    return this.#decoder.decode(all.subarray(0, whole));
  }
}

/** How many bytes at the end of `bytes` begin a character that is not complete. */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] as number;
    if (byte < 0x80) return 0;
    if (byte >= 0xc0) {
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return length > back ? back : 0;
    }
  }
  return 0;
}
