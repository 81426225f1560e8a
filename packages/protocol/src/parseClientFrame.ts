import * as v from 'valibot';
import { isErrorCode } from './errorCodes.js';
import type { ClientFrame, WireError } from './frames.js';
import { ARG_SCHEMAS } from './internal/schemas.js';
import { LIMITS } from './limits.js';
import { OP_NAMES, type OpName } from './ops.js';

/** Outcome of {@link parseClientFrame}: a valid frame, or a precise error and the request id if known. */
export type ParseClientFrameResult =
  | { readonly ok: true; readonly frame: ClientFrame }
  | { readonly ok: false; readonly id: number | null; readonly error: WireError };

const OPS: ReadonlySet<string> = new Set(OP_NAMES);
const encoder = new TextEncoder();

function fail(id: number | null, code: WireError['code'], message: string, path?: string): ParseClientFrameResult {
  return { ok: false, id, error: path === undefined ? { code, message } : { code, message, details: { path } } };
}

function byteLength(raw: string | Uint8Array): number {
  if (typeof raw !== 'string') return raw.byteLength;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: only measure when the bound is not enough.
  return raw.length * 3 <= LIMITS.frameBytes ? raw.length : encoder.encode(raw).byteLength;
}

/**
 * Validates one untrusted websocket message from a client (SRV-6). Never throws: every violation
 * comes back as `{ ok: false, error }` with its precise code and, where the frame had a usable
 * request id, that id so the caller can answer the request that failed.
 *
 * Checks, in order: size (`frame_too_large`), JSON (`frame_malformed`), `type`
 * (`frame_type_unknown`), request id (`request_id_invalid`), op (`op_unknown`), then the op's
 * arguments (`invalid_argument`, `string_too_long`, `attributes_too_large`, `attributes_too_deep`,
 * `page_size_out_of_range`, with `details.path`). Ordering of ids across frames is the caller's job.
 *
 * @example
 * const parsed = parseClientFrame(data);
 * if (!parsed.ok) socket.send(JSON.stringify({ type: 'res', id: parsed.id, ok: false, error: parsed.error }));
 */
export function parseClientFrame(raw: string | Uint8Array): ParseClientFrameResult {
  if (byteLength(raw) > LIMITS.frameBytes) {
    return fail(null, 'frame_too_large', `frames are limited to ${LIMITS.frameBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    return fail(null, 'frame_malformed', 'a frame must be valid UTF-8 JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail(null, 'frame_malformed', 'a frame must be a JSON object');
  }
  const frame = value as Record<string, unknown>;
  switch (frame['type']) {
    case 'ping':
      return Object.keys(frame).length === 1 ? { ok: true, frame: { type: 'ping' } } : fail(null, 'frame_malformed', 'ping takes no fields');
    case 'hello': {
      const { v: version, lastSeq } = frame;
      if (typeof version !== 'number' || !Number.isSafeInteger(version)) {
        return fail(null, 'frame_malformed', 'hello.v must be an integer', 'v');
      }
      if (lastSeq !== undefined && (typeof lastSeq !== 'number' || !Number.isSafeInteger(lastSeq) || lastSeq < 0)) {
        return fail(null, 'frame_malformed', 'hello.lastSeq must be a non-negative integer', 'lastSeq');
      }
      return { ok: true, frame: lastSeq === undefined ? { type: 'hello', v: version } : { type: 'hello', v: version, lastSeq } };
    }
    case 'req':
      return parseRequest(frame);
    default:
      return fail(null, 'frame_type_unknown', `unknown frame type ${describe(frame['type'], 40)}`);
  }
}

/**
 * Names an untrusted value in an error message without ever calling into it: `String(x)` runs a
 * hostile `toString` and overflows the stack on deeply nested arrays, so only strings are quoted.
 */
function describe(value: unknown, maxLength: number): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, maxLength)) : `of type ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`;
}

function parseRequest(frame: Record<string, unknown>): ParseClientFrameResult {
  const { id, op, args } = frame;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    return fail(null, 'request_id_invalid', 'req.id must be a positive safe integer', 'id');
  }
  if (typeof op !== 'string' || !OPS.has(op)) {
    return fail(id, 'op_unknown', `unknown op ${describe(op, 60)}`, 'op');
  }
  if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) {
    // valibot's strictObject lets `[]` through for ops whose fields are all optional.
    return fail(id, 'invalid_argument', `${op}: args must be an object`, 'args');
  }
  const result = v.safeParse(ARG_SCHEMAS[op as OpName], args ?? {}, { abortEarly: true });
  if (!result.success) {
    const issue = result.issues[0];
    const code = isErrorCode(issue.message) ? issue.message : 'invalid_argument';
    const path = ['args', ...(issue.path ?? []).map((item) => String(item.key))].join('.');
    return fail(id, code, `${op}: ${path} is not acceptable (${code})`, path);
  }
  return { ok: true, frame: { type: 'req', id, op: op as OpName, args: result.output as never } };
}
