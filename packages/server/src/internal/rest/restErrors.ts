import type { ErrorCode } from '@rx-conversations/protocol';

/**
 * A REST failure in Twilio's shape, `{ code, message, more_info, status }`, which the `twilio` library
 * turns into a `RestException` (not RFC 9457, which would switch it to another exception type).
 */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'RestError';
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, more_info: `https://www.twilio.com/docs/errors/${this.code}`, status: this.status };
  }
}

/** Twilio's numeric codes for the failures the REST API can meet. */
export const TWILIO_CODES = {
  invalidParameter: 20001,
  authenticationFailed: 20003,
  methodNotAllowed: 20004,
  notFound: 20404,
  conflict: 20409,
  userExists: 50201,
  uniqueNameTaken: 50353,
  participantExists: 50433,
  internal: 20500,
} as const;

/** REST parameter names of the core's argument paths, for error messages a backend author recognises. */
const PARAMETERS: Record<string, string> = {
  friendlyName: 'FriendlyName',
  uniqueName: 'UniqueName',
  attributes: 'Attributes',
  body: 'Body',
  identity: 'Identity',
  role: 'RoleSid',
  roleSid: 'RoleSid',
  index: 'LastReadMessageIndex',
  pageSize: 'PageSize',
  timers: 'Timers',
  state: 'State',
};

/** The REST parameter an argument path (`args.friendlyName`) stands for. */
export function parameterOf(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  // A REST parameter already (the core names them when only the admin API can send them).
  if (!path.startsWith('args.')) return path;
  const field = path.replace(/^args\./, '').split('.')[0]!;
  return PARAMETERS[field] ?? field;
}

/** The REST answer to a core refusal (a `ServerError` code); undefined for codes that are our fault. */
export function restErrorFor(code: ErrorCode, message: string, path: string | undefined): RestError | undefined {
  switch (code) {
    case 'conversation_not_found':
    case 'participant_not_found':
    case 'message_not_found':
    case 'user_not_found':
      return new RestError(404, TWILIO_CODES.notFound, message);
    case 'unique_name_taken':
      return new RestError(409, TWILIO_CODES.uniqueNameTaken, message);
    case 'participant_exists':
      return new RestError(409, TWILIO_CODES.participantExists, message);
    case 'role_not_found':
      // A role named in a parameter is a bad parameter; one in the path is a missing resource.
      return path === undefined ? new RestError(404, TWILIO_CODES.notFound, message) : new RestError(400, TWILIO_CODES.invalidParameter, `Invalid RoleSid: ${message}`);
    case 'conversation_closed':
    case 'state_change_invalid':
      // Twilio refuses changes to a closed conversation as a conflict with its state.
      return new RestError(409, TWILIO_CODES.conflict, message);
    case 'idempotency_key_conflict':
      return new RestError(409, TWILIO_CODES.conflict, 'This I-Twilio-Idempotency-Token was used for another request');
    case 'invalid_argument':
    case 'string_too_long':
    case 'attributes_too_large':
    case 'attributes_too_deep':
    case 'page_size_out_of_range': {
      const parameter = parameterOf(path);
      return new RestError(400, TWILIO_CODES.invalidParameter, parameter === undefined ? message : `Invalid ${parameter}: ${message}`);
    }
    default:
      return undefined;
  }
}
