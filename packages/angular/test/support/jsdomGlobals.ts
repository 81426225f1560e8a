// jsdom does not implement TextEncoder/TextDecoder, which browsers and Node have and the protocol
// package uses (frame sizes). Take Node's, before any module that needs them is evaluated: spec files
// import this module first.
import { TextDecoder, TextEncoder } from 'node:util';

globalThis.TextEncoder ??= TextEncoder as typeof globalThis.TextEncoder;
globalThis.TextDecoder ??= TextDecoder as typeof globalThis.TextDecoder;
