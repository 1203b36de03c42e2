/**
 * The vocabulary as hosts give it: byte-level strings (Pie's engine for Qwen, Llama 3 in Hugging Face form),
 * SentencePiece strings, or bytes; each read into the bytes of the text its tokens write.
 */
import type { Tokenizer } from 'inferlib:model/models';
import { byteLevelCodePoints } from '@inferlib/support';
import { describe, expect, it } from 'vitest';
import { Vocabulary } from '../src/vocabulary.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);
const byteLevel = (text: string) =>
  [...utf8(text)].map((byte) => String.fromCodePoint(byteLevelCodePoints[byte] ?? 0)).join('');

/** A model whose `get-vocabs` gives `entries` (id → entry), in an order of the host's. */
function modelWith(entries: Map<number, string | Uint8Array>) {
  const order = [...entries.keys()].reverse();
  const tokenizer = {
    getVocabs: () => [
      Uint32Array.from(order),
      order.map((id) => {
        const entry = entries.get(id) ?? '';
        return typeof entry === 'string' ? utf8(entry) : entry;
      }),
    ],
  } as unknown as Tokenizer;
  return { name: `test-${entries.size}`, tokenizer };
}

const text = (vocabulary: Vocabulary, id: number) => new TextDecoder().decode(vocabulary.bytes(id));

describe('Vocabulary', () => {
  it('reads byte-level strings as their bytes, when Ā (the byte 0) has an id below 256', () => {
    const entries = new Map<number, string | Uint8Array>(
      byteLevelCodePoints.map((codePoint, byte) => [byte, String.fromCodePoint(codePoint)]),
    );
    entries.set(300, byteLevel(' hello'));
    entries.set(301, byteLevel('é'));
    entries.set(302, byteLevel('中').slice(0, 2));
    entries.set(303, byteLevel('\n\t"x"'));
    const vocabulary = new Vocabulary(modelWith(entries));
    expect(text(vocabulary, 300)).toBe(' hello');
    expect(text(vocabulary, 301)).toBe('é');
    expect([...(vocabulary.bytes(302) ?? [])]).toEqual([...utf8('中').subarray(0, 2)]);
    expect(text(vocabulary, 303)).toBe('\n\t"x"');
    expect([...(vocabulary.bytes(0x80) ?? [])]).toEqual([0x80]);
    expect(vocabulary.size).toBe(304);
    expect(vocabulary.bytes(999)).toBeUndefined();
  });

  it('reads SentencePiece strings with ▁ as a space', () => {
    const entries = new Map<number, string | Uint8Array>([
      [3, '▁the'],
      [4, 'cat'],
      [5, '▁▁x▁'],
    ]);
    const vocabulary = new Vocabulary(modelWith(entries));
    expect([3, 4, 5].map((id) => text(vocabulary, id))).toEqual([' the', 'cat', '  x ']);
  });

  it('keeps bytes as they are otherwise: a Ā that is a letter, not the byte 0, says nothing', () => {
    const entries = new Map<number, string | Uint8Array>([
      [0, Uint8Array.of(0xe4)],
      [1, ' hello'],
      [2000, 'Ā'],
      [2001, 'Ġx'],
    ]);
    const vocabulary = new Vocabulary(modelWith(entries));
    expect([...(vocabulary.bytes(0) ?? [])]).toEqual([0xe4]);
    expect(text(vocabulary, 1)).toBe(' hello');
    expect(text(vocabulary, 2001)).toBe('Ġx');
  });
});
