/**
 * The bytes of a UTF-8 sequence that starts with `lead`, and the range its second byte must be in (Unicode's
 * Table 3-7: no overlong form, no surrogate, nothing past U+10FFFF); `undefined` for a byte no sequence starts
 * with. Shared by the grammar's byte matching and the QuickJS prelude's `TextDecoder`.
 */
export function utf8Sequence(
  lead: number,
): { length: number; secondLow: number; secondHigh: number } | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return { length: 2, secondLow: 0x80, secondHigh: 0xbf };
  if (lead === 0xe0) return { length: 3, secondLow: 0xa0, secondHigh: 0xbf };
  if (lead === 0xed) return { length: 3, secondLow: 0x80, secondHigh: 0x9f };
  if (lead >= 0xe1 && lead <= 0xef) return { length: 3, secondLow: 0x80, secondHigh: 0xbf };
  if (lead === 0xf0) return { length: 4, secondLow: 0x90, secondHigh: 0xbf };
  if (lead === 0xf4) return { length: 4, secondLow: 0x80, secondHigh: 0x8f };
  if (lead >= 0xf1 && lead <= 0xf3) return { length: 4, secondLow: 0x80, secondHigh: 0xbf };
  return undefined;
}
