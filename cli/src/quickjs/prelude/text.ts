/** `TextEncoder` and `TextDecoder` (UTF-8 only) for the QuickJS engine, which has neither. */
import { Utf8TextDecoder, Utf8TextEncoder } from './utf8.ts';

Object.assign(globalThis, { TextEncoder: Utf8TextEncoder, TextDecoder: Utf8TextDecoder });
