import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { settledRun } from '../../cli/src/quickjs/prelude/run.ts';
import { Utf8TextDecoder, Utf8TextEncoder } from '../../cli/src/quickjs/prelude/utf8.ts';

/** Strings of any UTF-16 code units: lone surrogates too. */
const anyText = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
  .map((units) => String.fromCharCode(...units));
/** Bytes weighted to UTF-8's lead and continuation bytes, so that valid and broken sequences both come up. */
const anyBytes = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0xff }),
      fc.integer({ min: 0x80, max: 0xbf }),
      fc.constantFrom(0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xc2),
    ),
    { maxLength: 40 },
  )
  .map((bytes) => Uint8Array.from(bytes));

/** Node's decoding of `bytes` cut at `cuts`, as a stream, or the error it throws. */
function decodeInPieces(
  decoder: { decode(input?: Uint8Array, options?: { stream?: boolean }): string },
  bytes: Uint8Array,
  cuts: number[],
): string {
  const ends = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  let text = '';
  let start = 0;
  for (const end of ends) {
    text += decoder.decode(bytes.subarray(start, end), { stream: true });
    start = end;
  }
  return text + decoder.decode(bytes.subarray(start));
}

const outcome = (decode: () => string) => {
  try {
    return { text: decode() };
  } catch (error) {
    return { error: error instanceof TypeError };
  }
};

describe('the QuickJS prelude', () => {
  it("encodes any string as Node's TextEncoder does (lone surrogates as U+FFFD)", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(new Utf8TextEncoder().encode(text)).toEqual(new TextEncoder().encode(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("decodes any bytes, whole or streamed in pieces, as Node's TextDecoder does; fatal throws where it throws", () => {
    fc.assert(
      fc.property(
        anyBytes,
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        (bytes, cuts, fatal, ignoreBOM) => {
          const withBom = Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes]);
          for (const input of [bytes, withBom]) {
            const ours = outcome(() =>
              decodeInPieces(new Utf8TextDecoder('utf-8', { fatal, ignoreBOM }), input, cuts),
            );
            const node = outcome(() =>
              decodeInPieces(new TextDecoder('utf-8', { fatal, ignoreBOM }), input, cuts),
            );
            expect(ours).toEqual(node);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('refuses an encoding other than UTF-8, naming it', () => {
    expect(() => new Utf8TextDecoder('latin1')).toThrow(
      'TextDecoder: encoding "latin1" is not supported (only UTF-8 is)',
    );
  });

  it('lets a run that settled return, and refuses one that returns a promise with an err saying why', () => {
    expect(settledRun({ run: () => undefined }).run()).toBeUndefined();
    let thrown: unknown;
    try {
      settledRun({ run: () => Promise.resolve() }).run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatch(
      /^inferlet:core\/run\.run: run returned a promise, but a QuickJS build runs no promise jobs/,
    );
  });
});
