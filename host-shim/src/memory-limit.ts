/**
 * A cap on the linear memories of a core WebAssembly module: the maximum of each memory it defines is set
 * (lowered, where it has one) in the module's memory section, so that `memory.grow` past it fails as it
 * does at 4 GiB, and the guest's allocator reports out of memory instead of taking the host's. Memories the
 * module imports are capped where they are defined.
 */
import { limitOptions } from './limits.ts';

const pageBytes = 2 ** 16;
const memorySectionId = 5;

/** An unsigned LEB128 reader over `bytes`. */
class Reader {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    offset: number,
  ) {
    this.offset = offset;
  }
  byte(): number {
    const byte = this.bytes[this.offset++];
    if (byte === undefined) throw new Error('the module ends in the middle of a section');
    return byte;
  }
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new Error('a LEB128 number longer than a u32');
  }
}

function leb128(value: number): number[] {
  const bytes = [];
  let rest = value;
  do {
    const low = rest % 0x80;
    rest = Math.floor(rest / 0x80);
    bytes.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
  return bytes;
}

/** Memory limits' flags: bit 0 a maximum follows, bit 1 shared, bit 2 64-bit addresses. */
const hasMaximum = 0x01;
const memory64 = 0x04;

/**
 * `module` (a core module's bytes, `name` for errors) with each memory it defines capped at `maxPages` pages
 * of 64 KiB; the bytes as they are when it defines none. A memory that starts above the cap is refused.
 */
export function capMemories(
  module: Uint8Array<ArrayBuffer>,
  maxPages: number,
  name: string,
): Uint8Array<ArrayBuffer> {
  const reader = new Reader(module, 8);
  while (reader.offset < module.length) {
    const sectionStart = reader.offset;
    const id = reader.byte();
    const size = reader.u32();
    const contentStart = reader.offset;
    if (id !== memorySectionId) {
      reader.offset = contentStart + size;
      continue;
    }
    const count = reader.u32();
    const content = leb128(count);
    for (let index = 0; index < count; index++) {
      const flags = reader.byte();
      if ((flags & memory64) !== 0) {
        throw new Error(`${name}: memory ${index} has 64-bit addresses, which the memory limit cannot cap`);
      }
      const initial = reader.u32();
      const maximum = (flags & hasMaximum) !== 0 ? reader.u32() : undefined;
      if (initial > maxPages) {
        throw new Error(
          `the inferlet's linear memory starts at ${((initial * pageBytes) / 2 ** 20).toFixed(1)} MiB, more than the ${(maxPages * pageBytes) / 2 ** 20} MiB it may grow to (--${limitOptions.memoryBytes.flag})`,
        );
      }
      content.push(
        flags | hasMaximum,
        ...leb128(initial),
        ...leb128(Math.min(maximum ?? maxPages, maxPages)),
      );
    }
    if (reader.offset !== contentStart + size)
      throw new Error(`${name}: the memory section is longer than its memories`);
    const section = Uint8Array.from([memorySectionId, ...leb128(content.length), ...content]);
    const capped = new Uint8Array(module.length - (reader.offset - sectionStart) + section.length);
    capped.set(module.subarray(0, sectionStart));
    capped.set(section, sectionStart);
    capped.set(module.subarray(reader.offset), sectionStart + section.length);
    return capped;
  }
  return module;
}

/** Whole pages of 64 KiB in `bytes`. */
export const pagesOf = (bytes: number): number => Math.floor(bytes / pageBytes);
