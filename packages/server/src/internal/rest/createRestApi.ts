import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import formbody from '@fastify/formbody';
import { fastify, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { parseClientFrame, type JsonValue, type OpName } from '@rx-conversations/protocol';
import {
  accountOps,
  findConversationById,
  findMessageById,
  findParticipantById,
  findUserById,
  run,
  ServerError,
  type Core,
  type Step,
  type StoreTx,
  type ConversationRow,
  type ParticipantRow,
  type UserRow,
  type WebhookRow,
  POST_EVENTS,
  PRE_EVENTS,
} from '@rx-conversations/server-core';
import { PageTokens } from './pageTokens.js';
import { RestError, restErrorFor, TWILIO_CODES } from './restErrors.js';
import {
  conversationResource,
  conversationsUrl,
  messageResource,
  participantResource,
  twilioDate,
  participantConversationResource,
  roleResource,
  serviceConfigurationResource,
  serviceResource,
  userConversationResource,
  userResource,
  usersUrl,
  type ResourceScope,
} from './restResources.js';

/** What the REST API needs from the server. */
export interface RestApiOptions {
  readonly core: Core;
  readonly logger: Logger;
  readonly accountSid: string;
  readonly serviceSid: string;
  /** Basic-auth username → password: each API key sid with its secret, and the account sid with its auth token. */
  readonly credentials: ReadonlyMap<string, string>;
  /** Signs page tokens; the same on every node. */
  readonly pageKey: Buffer;
  /** Signs webhooks; without it, webhooks cannot be configured. */
  readonly authToken: string | undefined;
}

/** A mounted REST API: `handle` answers the request when it is one of the API's paths. */
export interface RestApi {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): Promise<void>;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
const MAX_FORM_BYTES = 128 * 1024;

const text = { type: 'string' } as const;
const form = (properties: Record<string, unknown>, required: string[] = []) =>
  ({ type: 'object', additionalProperties: false, properties, required }) as const;
const PAGING = { PageSize: { type: 'integer' }, Page: { type: 'integer', minimum: 0 }, PageToken: text };

type Params = Record<string, string>;
type Query = { PageSize?: number; Page?: number; PageToken?: string; Order?: 'asc' | 'desc' };
type Body = Record<string, string | undefined>;

/** A step run to its end, whether the store answers at once or later. */
async function settle<R>(step: Step<R>): Promise<R> {
  return await run(step);
}

function attributesOf(raw: string | undefined): JsonValue | undefined {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as JsonValue;
  } catch {
    throw new RestError(400, TWILIO_CODES.invalidParameter, 'Invalid Attributes: it must be a JSON string');
  }
}

/**
 * Checks REST input with the same rules as the websocket's (lengths, attribute size and depth): one set
 * of limits whichever door a write comes through.
 */
function check(op: OpName, args: Record<string, unknown>): void {
  const parsed = parseClientFrame(JSON.stringify({ type: 'req', id: 1, op, args }));
  if (parsed.ok) return;
  throw restErrorFor(parsed.error.code, parsed.error.message, parsed.error.details?.path as string | undefined) ??
    new RestError(400, TWILIO_CODES.invalidParameter, parsed.error.message);
}

function identityChecked(identity: string, parameter: string): string {
  check('participants.add', { sid: 'CH', identity });
  if (identity === '') throw new RestError(400, TWILIO_CODES.invalidParameter, `Invalid ${parameter}: it must not be empty`);
  return identity;
}

function permissionsOf(raw: string | string[] | undefined): string[] {
  const permissions = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (permissions.length === 0) throw new RestError(400, TWILIO_CODES.invalidParameter, 'Invalid Permission: give at least one');
  return permissions;
}

/** A conversation's fields as Twilio's form names them; `Timers.*` are ISO 8601 durations (PARITY-1). */
const CONVERSATION_FIELDS = {
  FriendlyName: text,
  UniqueName: text,
  Attributes: text,
  State: { enum: ['active', 'inactive', 'closed'] },
  'Timers.Inactive': text,
  'Timers.Closed': text,
};

/** `State` and `Timers.Inactive`/`Timers.Closed` (an empty duration stops that timer), as the core takes them. */
function stateOf(b: Body): { state?: 'active' | 'inactive' | 'closed'; timers?: { inactive?: string | null; closed?: string | null } } {
  const out: ReturnType<typeof stateOf> = {};
  if (b['State'] !== undefined) out.state = b['State'] as 'active' | 'inactive' | 'closed';
  const timer = (raw: string | undefined) => (raw === undefined ? undefined : raw === '' ? null : raw);
  const inactive = timer(b['Timers.Inactive']);
  const closed = timer(b['Timers.Closed']);
  if (inactive !== undefined || closed !== undefined) {
    out.timers = {};
    if (inactive !== undefined) out.timers.inactive = inactive;
    if (closed !== undefined) out.timers.closed = closed;
  }
  return out;
}

const EVENT_NAMES: ReadonlySet<string> = new Set<string>([...POST_EVENTS, ...PRE_EVENTS]);

function filtersChecked(filters: readonly string[]): string[] {
  for (const filter of filters) {
    if (!EVENT_NAMES.has(filter)) throw new RestError(400, TWILIO_CODES.invalidParameter, `Invalid Filters: ${JSON.stringify(filter.slice(0, 64))} is not a webhook event`);
  }
  return [...new Set(filters)];
}

function urlChecked(url: string, parameter: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RestError(400, TWILIO_CODES.invalidParameter, `Invalid ${parameter}: not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new RestError(400, TWILIO_CODES.invalidParameter, `Invalid ${parameter}: only http and https URLs`);
  if (url.length > 2048) throw new RestError(400, TWILIO_CODES.invalidParameter, `Invalid ${parameter}: longer than 2048 characters`);
  return url;
}

function pageSizeOf(query: Query): number {
  const size = query.PageSize ?? DEFAULT_PAGE_SIZE;
  if (size < 1 || size > MAX_PAGE_SIZE) throw new RestError(400, TWILIO_CODES.invalidParameter, `Invalid PageSize: it must be 1 to ${MAX_PAGE_SIZE}`);
  return size;
}

function secretsMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The Twilio-compatible admin REST API (ADMIN-1, ADMIN-2): Conversations, Participants and Messages,
 * under `/v1` and `/v1/Services/{IS}`, in Twilio's wire format, so that a backend written with the
 * official `twilio` library works by pointing its HTTP client here. Every write is an account-authority
 * op of the core: websocket clients see its events live, and resumes replay them.
 */
export async function createRestApi(options: RestApiOptions): Promise<RestApi> {
  const { core, accountSid, serviceSid, credentials } = options;
  const tokens = new PageTokens(options.pageKey);
  const app: FastifyInstance = fastify({
    logger: false,
    bodyLimit: MAX_FORM_BYTES,
    // Unknown fields are refused, not dropped; form values (strings) become the integers a schema asks for.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  await app.register(formbody, { bodyLimit: MAX_FORM_BYTES });

  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim()) : null;
    const decoded = match === null ? '' : Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const expected = colon < 0 ? undefined : credentials.get(decoded.slice(0, colon));
    if (expected === undefined || !secretsMatch(decoded.slice(colon + 1), expected)) {
      void reply.header('www-authenticate', 'Basic realm="rx-conversations"');
      throw new RestError(401, TWILIO_CODES.authenticationFailed, 'Authentication Error - invalid username or password');
    }
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    void reply.status(404).send(new RestError(404, TWILIO_CODES.notFound, `The requested resource ${path} was not found`).toJSON());
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    const answer = (e: RestError) => reply.status(e.status).send(e.toJSON());
    if (error instanceof RestError) return answer(error);
    if (error instanceof ServerError) {
      const rest = restErrorFor(error.code, error.message, error.details?.path as string | undefined);
      if (rest !== undefined) return answer(rest);
    }
    const fastifyError = error as { validation?: unknown; statusCode?: number; message?: string };
    if (fastifyError.validation !== undefined) {
      return answer(new RestError(400, TWILIO_CODES.invalidParameter, `Invalid parameter: ${fastifyError.message ?? 'malformed request'}`));
    }
    if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      return answer(new RestError(fastifyError.statusCode, TWILIO_CODES.invalidParameter, fastifyError.message ?? 'bad request'));
    }
    options.logger.error({ err: error, method: request.method, path: request.url.split('?')[0] }, 'REST request failed');
    return answer(new RestError(500, TWILIO_CODES.internal, 'Internal server error'));
  });

  // `X-Twilio-Webhook-Enabled: true` asks for post-event webhooks; without it a REST action fires none,
  // so a backend that reacts to a webhook by calling the API cannot loop.
  // `I-Twilio-Idempotency-Token` makes a retried write safe: the same token and arguments return the
  // first result.
  const callerOf = (request: FastifyRequest) => {
    const token = request.headers['i-twilio-idempotency-token'];
    if (token !== undefined && (typeof token !== 'string' || token.length < 1 || token.length > 128)) {
      throw new RestError(400, TWILIO_CODES.invalidParameter, 'Invalid I-Twilio-Idempotency-Token: 1 to 128 characters');
    }
    return { core, webhooks: String(request.headers['x-twilio-webhook-enabled']).toLowerCase() === 'true', idempotencyKey: token };
  };
  const scopeOf = (request: FastifyRequest): ResourceScope => ({ base: `${request.protocol}://${request.host}`, accountSid, serviceSid });
  const read = <R>(body: (tx: StoreTx) => Step<R>): Promise<R> => settle(core.store.read(body));

  /** A list in Twilio's page shape: exactly 200, the items under `key`, and `meta` with the next page's URL. */
  const page = (
    request: FastifyRequest,
    listUrl: string,
    key: string,
    items: unknown[],
    query: Query,
    next: string | null,
    extra: Record<string, string> = {},
  ) => {
    const size = pageSizeOf(query);
    const at = query.Page ?? 0;
    const params = (p: Record<string, string | number>) => new URLSearchParams({ ...extra, ...p } as Record<string, string>).toString();
    const url = `${listUrl}?${params({ PageSize: size, Page: at, ...(query.PageToken === undefined ? {} : { PageToken: query.PageToken }) })}`;
    return {
      [key]: items,
      meta: {
        page: at,
        page_size: size,
        first_page_url: `${listUrl}?${params({ PageSize: size, Page: 0 })}`,
        previous_page_url: null,
        url,
        next_page_url: next === null ? null : `${listUrl}?${params({ PageSize: size, Page: at + 1, PageToken: next })}`,
        key,
      },
    };
  };

  /**
   * One keyset page: the first `size` of `rows` (fetched with one extra to see if more follow), and the
   * token of the next page, which starts after the last row shown.
   */
  const cut = <T>(rows: readonly T[], size: number, list: string, positionAfter: (row: T) => Record<string, unknown>) => {
    const shown = rows.slice(0, size);
    const last = shown[shown.length - 1];
    return { shown, next: rows.length > size && last !== undefined ? tokens.issue(list, positionAfter(last)) : null };
  };

  /** The keyset position a list request starts after, from its `PageToken` (none: the first page). */
  const positionOf = <T extends Record<string, unknown>>(list: string, query: Query): T | null => {
    if (query.PageToken === undefined) {
      if ((query.Page ?? 0) > 0) throw new RestError(400, TWILIO_CODES.invalidParameter, 'Invalid Page: pages after the first need the PageToken of the page before');
      return null;
    }
    return tokens.read<T>(list, query.PageToken);
  };

  const signable = (): void => {
    if (options.authToken === undefined) {
      throw new RestError(400, TWILIO_CODES.invalidParameter, "Webhooks are signed with the account's auth token: start the server with an authToken first");
    }
  };
  const MAX_CONVERSATION_WEBHOOKS = 5;
  const conversationWebhook = (request: FastifyRequest, row: WebhookRow) => ({
    sid: row.sid,
    account_sid: accountSid,
    chat_service_sid: serviceSid,
    conversation_sid: row.conversation_sid,
    target: 'webhook',
    configuration: { url: row.url, method: row.method, filters: JSON.parse(row.filters) as string[] },
    date_created: twilioDate(row.created_at),
    date_updated: twilioDate(row.updated_at),
    url: `${conversationsUrl(scopeOf(request))}/${row.conversation_sid}/Webhooks/${row.sid}`,
  });
  const CONFIGURATION = {
    'Configuration.Url': text,
    'Configuration.Method': { enum: ['GET', 'POST', 'get', 'post'] },
    'Configuration.Filters': { type: 'array', items: text },
  };

  const conversationWebhookRoutes = async (api: FastifyInstance): Promise<void> => {
    api.post<{ Params: Params; Body: Record<string, unknown> }>(
      '/Conversations/:conversation/Webhooks',
      { schema: { body: form({ Target: { enum: ['webhook'] }, ...CONFIGURATION }, ['Target', 'Configuration.Url']) } },
      async (request, reply) => {
        signable();
        const b = request.body;
        const url = urlChecked(b['Configuration.Url'] as string, 'Configuration.Url');
        const filters = filtersChecked((b['Configuration.Filters'] as string[] | undefined) ?? []);
        const method = String(b['Configuration.Method'] ?? 'POST').toUpperCase() as 'GET' | 'POST';
        const now = core.clock();
        const row = await settle(
          core.store.write(function* (tx) {
            const conversation = yield* findConversationById(tx, request.params['conversation']!);
            if ((yield* tx.listWebhooks('conversation', conversation.sid)).length >= MAX_CONVERSATION_WEBHOOKS) {
              throw new RestError(400, TWILIO_CODES.invalidParameter, `A conversation has at most ${MAX_CONVERSATION_WEBHOOKS} webhooks`);
            }
            const created: WebhookRow = {
              sid: core.newSid('WH'),
              scope: 'conversation',
              conversation_sid: conversation.sid,
              kind: 'post',
              url,
              method,
              filters: JSON.stringify(filters),
              created_at: now,
              updated_at: now,
            };
            yield* tx.putWebhook(created);
            return created;
          }),
        );
        return reply.status(201).send(conversationWebhook(request, row));
      },
    );

    api.get<{ Params: Params; Querystring: Query }>('/Conversations/:conversation/Webhooks', { schema: { querystring: form(PAGING) } }, async (request) => {
      const { conversation, rows } = await read(function* (tx) {
        const conversation = yield* findConversationById(tx, request.params['conversation']!);
        return { conversation, rows: yield* tx.listWebhooks('conversation', conversation.sid) };
      });
      // At most five: one page holds them all.
      const listUrl = `${conversationsUrl(scopeOf(request))}/${conversation.sid}/Webhooks`;
      return page(request, listUrl, 'webhooks', rows.map((r) => conversationWebhook(request, r)), { ...request.query, PageSize: Math.max(request.query.PageSize ?? 50, 1) }, null);
    });

    const findWebhook = function* (tx: StoreTx, conversationId: string, sid: string): Step<WebhookRow> {
      const conversation = yield* findConversationById(tx, conversationId);
      const row = yield* tx.getWebhook(sid);
      if (row === undefined || row.conversation_sid !== conversation.sid) throw new RestError(404, TWILIO_CODES.notFound, 'no webhook has this sid in this conversation');
      return row;
    };

    api.get<{ Params: Params }>('/Conversations/:conversation/Webhooks/:webhook', async (request) =>
      conversationWebhook(request, await read((tx) => findWebhook(tx, request.params['conversation']!, request.params['webhook']!))),
    );

    api.post<{ Params: Params; Body: Record<string, unknown> }>(
      '/Conversations/:conversation/Webhooks/:webhook',
      { schema: { body: form(CONFIGURATION) } },
      async (request) => {
        signable();
        const b = request.body ?? {};
        const url = b['Configuration.Url'] === undefined ? undefined : urlChecked(b['Configuration.Url'] as string, 'Configuration.Url');
        const filters = b['Configuration.Filters'] === undefined ? undefined : filtersChecked(b['Configuration.Filters'] as string[]);
        const method = b['Configuration.Method'] === undefined ? undefined : (String(b['Configuration.Method']).toUpperCase() as 'GET' | 'POST');
        const row = await settle(
          core.store.write(function* (tx) {
            const current = yield* findWebhook(tx, request.params['conversation']!, request.params['webhook']!);
            const next: WebhookRow = {
              ...current,
              url: url ?? current.url,
              method: method ?? current.method,
              filters: filters === undefined ? current.filters : JSON.stringify(filters),
              updated_at: core.clock(),
            };
            yield* tx.putWebhook(next);
            return next;
          }),
        );
        return conversationWebhook(request, row);
      },
    );

    api.delete<{ Params: Params }>('/Conversations/:conversation/Webhooks/:webhook', async (request, reply) => {
      await settle(
        core.store.write(function* (tx) {
          yield* tx.deleteWebhook((yield* findWebhook(tx, request.params['conversation']!, request.params['webhook']!)).sid);
        }),
      );
      return reply.status(204).send();
    });
  };

  const webhookRoutes = async (api: FastifyInstance, level: 'account' | 'service'): Promise<void> => {
    const path = '/Configuration/Webhooks';
    const show = (request: FastifyRequest, rows: WebhookRow[]) => {
      const pre = rows.find((r) => r.kind === 'pre');
      const post = rows.find((r) => r.kind === 'post');
      const base = scopeOf(request).base;
      return {
        account_sid: accountSid,
        ...(level === 'service' ? { chat_service_sid: serviceSid } : { target: 'webhook' }),
        pre_webhook_url: pre?.url ?? null,
        post_webhook_url: post?.url ?? null,
        filters: JSON.parse((post ?? pre)?.filters ?? '[]') as string[],
        method: (post ?? pre)?.method ?? 'POST',
        url: level === 'service' ? `${base}/v1/Services/${serviceSid}/Configuration/Webhooks` : `${base}/v1/Configuration/Webhooks`,
      };
    };
    api.get(path, async (request) => show(request, await read((tx) => tx.listWebhooks(level, null))));
    api.post<{ Body: Record<string, unknown> }>(
      path,
      {
        schema: {
          body: form({
            PreWebhookUrl: text,
            PostWebhookUrl: text,
            Filters: { type: 'array', items: text },
            Method: { enum: ['GET', 'POST', 'get', 'post'] },
            ...(level === 'account' ? { Target: { enum: ['webhook'] } } : {}),
          }),
        },
      },
      async (request) => {
        const b = request.body ?? {};
        if ([b['PreWebhookUrl'], b['PostWebhookUrl']].some((u) => typeof u === 'string' && u !== '')) signable();
        const now = core.clock();
        const rows = await settle(
          core.store.write(function* (tx) {
            const current = yield* tx.listWebhooks(level, null);
            const filters = b['Filters'] === undefined ? undefined : filtersChecked(b['Filters'] as string[]);
            const method = b['Method'] === undefined ? undefined : (String(b['Method']).toUpperCase() as 'GET' | 'POST');
            for (const kind of ['pre', 'post'] as const) {
              const given = b[kind === 'pre' ? 'PreWebhookUrl' : 'PostWebhookUrl'] as string | undefined;
              const existing = current.find((r) => r.kind === kind);
              const url = given === undefined ? existing?.url : given === '' ? undefined : urlChecked(given, kind === 'pre' ? 'PreWebhookUrl' : 'PostWebhookUrl');
              if (url === undefined) {
                if (existing !== undefined) yield* tx.deleteWebhook(existing.sid);
                continue;
              }
              const other = current.find((r) => r.kind !== kind);
              yield* tx.putWebhook({
                sid: `${level}-${kind}`,
                scope: level,
                conversation_sid: null,
                kind,
                url,
                method: method ?? existing?.method ?? other?.method ?? 'POST',
                filters: JSON.stringify(filters ?? JSON.parse(existing?.filters ?? other?.filters ?? '[]')),
                created_at: existing?.created_at ?? now,
                updated_at: now,
              });
            }
            return yield* tx.listWebhooks(level, null);
          }),
        );
        core.webhookConfigChanged();
        return show(request, rows);
      },
    );
  };

  const routes = async (api: FastifyInstance): Promise<void> => {
    // Conversations
    api.post<{ Body: Body }>('/Conversations', { schema: { body: form(CONVERSATION_FIELDS) } }, async (request, reply) => {
      const b = request.body ?? {};
      const fields = { friendlyName: b['FriendlyName'], uniqueName: b['UniqueName'], attributes: attributesOf(b['Attributes']), ...stateOf(b) };
      check('conversations.create', fields);
      const row = await settle(accountOps.createConversation(callerOf(request), fields));
      return reply.status(201).send(conversationResource(scopeOf(request), row));
    });

    api.get<{ Querystring: Query }>('/Conversations', { schema: { querystring: form(PAGING) } }, async (request) => {
      const size = pageSizeOf(request.query);
      const after = positionOf<{ createdAt: number; sid: string }>('conversations', request.query);
      const rows = await read((tx) => tx.conversationsPage(after, size + 1));
      const { shown, next } = cut(rows, size, 'conversations', (last) => ({ createdAt: last.created_at, sid: last.sid }));
      const scope = scopeOf(request);
      return page(request, conversationsUrl(scope), 'conversations', shown.map((r) => conversationResource(scope, r)), request.query, next);
    });

    api.get<{ Params: Params }>('/Conversations/:conversation', async (request) => {
      const row = await read((tx) => findConversationById(tx, request.params['conversation']!));
      return conversationResource(scopeOf(request), row);
    });

    api.post<{ Params: Params; Body: Body }>(
      '/Conversations/:conversation',
      { schema: { body: form(CONVERSATION_FIELDS) } },
      async (request) => {
        const b = request.body ?? {};
        const changes = { friendlyName: b['FriendlyName'], uniqueName: b['UniqueName'], attributes: attributesOf(b['Attributes']), ...stateOf(b) };
        check('conversations.update', { sid: 'CH', ...changes });
        const row = await settle(accountOps.updateConversation(callerOf(request), request.params['conversation']!, changes));
        return conversationResource(scopeOf(request), row);
      },
    );

    api.delete<{ Params: Params }>('/Conversations/:conversation', async (request, reply) => {
      await settle(accountOps.deleteConversation(callerOf(request), request.params['conversation']!));
      return reply.status(204).send();
    });

    // Participants
    api.post<{ Params: Params; Body: Body }>(
      '/Conversations/:conversation/Participants',
      {
        schema: {
          body: form({
            Identity: text,
            Attributes: text,
            RoleSid: text,
            'MessagingBinding.Address': text,
            'MessagingBinding.ProxyAddress': text,
            'MessagingBinding.ProjectedAddress': text,
          }),
        },
      },
      async (request, reply) => {
        const b = request.body ?? {};
        const address = b['MessagingBinding.Address'];
        if ((b['Identity'] === undefined) === (address === undefined)) {
          throw new RestError(400, TWILIO_CODES.invalidParameter, 'Invalid parameter: give Identity (a chat participant) or MessagingBinding.Address (SMS, WhatsApp, email), not both');
        }
        const common = { roleSid: b['RoleSid'], attributes: attributesOf(b['Attributes']) };
        check('participants.add', { sid: 'CH', identity: 'x', ...common });
        const fields =
          address === undefined
            ? { identity: identityChecked(b['Identity']!, 'Identity'), ...common }
            : { messagingBinding: { address, proxyAddress: b['MessagingBinding.ProxyAddress'], projectedAddress: b['MessagingBinding.ProjectedAddress'] }, ...common };
        const row = await settle(accountOps.addParticipant(callerOf(request), request.params['conversation']!, fields));
        return reply.status(201).send(participantResource(scopeOf(request), row));
      },
    );

    api.get<{ Params: Params; Querystring: Query }>('/Conversations/:conversation/Participants', { schema: { querystring: form(PAGING) } }, async (request) => {
      const size = pageSizeOf(request.query);
      const { conversation, rows } = await read(function* (tx) {
        const found = yield* findConversationById(tx, request.params['conversation']!);
        const after = positionOf<{ id: number }>(`participants:${found.sid}`, request.query);
        return { conversation: found, rows: yield* tx.participantsPage(found.sid, after?.id ?? 0, size + 1) };
      });
      const { shown, next } = cut(rows, size, `participants:${conversation.sid}`, (last) => ({ id: last.id }));
      const scope = scopeOf(request);
      const listUrl = `${conversationsUrl(scope)}/${conversation.sid}/Participants`;
      return page(request, listUrl, 'participants', shown.map((r) => participantResource(scope, r)), request.query, next);
    });

    api.get<{ Params: Params }>('/Conversations/:conversation/Participants/:participant', async (request) => {
      const row = await read(function* (tx) {
        return yield* findParticipantById(tx, yield* findConversationById(tx, request.params['conversation']!), request.params['participant']!);
      });
      return participantResource(scopeOf(request), row);
    });

    api.post<{ Params: Params; Body: Body }>(
      '/Conversations/:conversation/Participants/:participant',
      { schema: { body: form({ Attributes: text, RoleSid: text, LastReadMessageIndex: { type: 'integer', minimum: 0 } }) } },
      async (request) => {
        const b = request.body as Record<string, unknown>;
        const changes = {
          roleSid: b['RoleSid'] as string | undefined,
          attributes: attributesOf(b['Attributes'] as string | undefined),
          lastReadMessageIndex: b['LastReadMessageIndex'] as number | undefined,
        };
        check('participants.update', { sid: 'CH', identity: 'x', roleSid: changes.roleSid, attributes: changes.attributes });
        const row = await settle(accountOps.updateParticipant(callerOf(request), request.params['conversation']!, request.params['participant']!, changes));
        return participantResource(scopeOf(request), row);
      },
    );

    api.delete<{ Params: Params }>('/Conversations/:conversation/Participants/:participant', async (request, reply) => {
      await settle(accountOps.removeParticipant(callerOf(request), request.params['conversation']!, request.params['participant']!));
      return reply.status(204).send();
    });

    // Messages (each keeps its author's participant sid, so a page needs no lookups)

    api.post<{ Params: Params; Body: Body }>(
      '/Conversations/:conversation/Messages',
      { schema: { body: form({ Author: text, Body: text, Attributes: text }) } },
      async (request, reply) => {
        const b = request.body ?? {};
        const fields = {
          author: b['Author'] === undefined ? undefined : identityChecked(b['Author'], 'Author'),
          body: b['Body'],
          attributes: attributesOf(b['Attributes']),
        };
        check('messages.send', { sid: 'CH', body: fields.body, attributes: fields.attributes, idempotencyKey: 'rest-api' });
        const row = await settle(accountOps.postMessage(callerOf(request), request.params['conversation']!, fields));
        return reply.status(201).send(messageResource(scopeOf(request), row));
      },
    );

    api.get<{ Params: Params; Querystring: Query }>(
      '/Conversations/:conversation/Messages',
      { schema: { querystring: form({ ...PAGING, Order: { enum: ['asc', 'desc'] } }) } },
      async (request) => {
        const size = pageSizeOf(request.query);
        const order = request.query.Order ?? 'asc';
        const { conversation, rows } = await read(function* (tx) {
          const found = yield* findConversationById(tx, request.params['conversation']!);
          const after = positionOf<{ index: number }>(`messages:${found.sid}:${order}`, request.query);
          const rows =
            order === 'asc'
              ? yield* tx.messagesAfter(found.sid, after?.index ?? -1, size + 1)
              : yield* tx.messagesBefore(found.sid, after?.index ?? Number.MAX_SAFE_INTEGER, size + 1);
          return { conversation: found, rows };
        });
        const { shown, next } = cut(rows, size, `messages:${conversation.sid}:${order}`, (last) => ({ index: last.idx }));
        const scope = scopeOf(request);
        const listUrl = `${conversationsUrl(scope)}/${conversation.sid}/Messages`;
        const items = shown.map((r) => messageResource(scope, r));
        return page(request, listUrl, 'messages', items, request.query, next, { Order: order });
      },
    );

    api.get<{ Params: Params }>('/Conversations/:conversation/Messages/:message', async (request) => {
      const row = await read(function* (tx) {
        return yield* findMessageById(tx, yield* findConversationById(tx, request.params['conversation']!), request.params['message']!);
      });
      return messageResource(scopeOf(request), row);
    });

    api.post<{ Params: Params; Body: Body }>(
      '/Conversations/:conversation/Messages/:message',
      { schema: { body: form({ Body: text, Attributes: text }) } },
      async (request) => {
        const b = request.body ?? {};
        const changes = { body: b['Body'], attributes: attributesOf(b['Attributes']) };
        check('messages.update', { sid: 'CH', index: 0, ...changes });
        const row = await settle(accountOps.updateMessage(callerOf(request), request.params['conversation']!, request.params['message']!, changes));
        return messageResource(scopeOf(request), row);
      },
    );

    api.delete<{ Params: Params }>('/Conversations/:conversation/Messages/:message', async (request, reply) => {
      await settle(accountOps.removeMessage(callerOf(request), request.params['conversation']!, request.params['message']!));
      return reply.status(204).send();
    });

    // Roles (ADMIN-4): the four defaults and the app's own, ordered by sid.
    const rulesNow = () => read((tx) => core.accessRules(tx));
    api.get<{ Querystring: Query }>('/Roles', { schema: { querystring: form(PAGING) } }, async (request) => {
      const size = pageSizeOf(request.query);
      const after = positionOf<{ sid: string }>('roles', request.query);
      const roles = [...(await rulesNow()).roles.values()].sort((a, b) => (a.sid < b.sid ? -1 : 1)).filter((r) => after === null || r.sid > after.sid);
      const { shown, next } = cut(roles.slice(0, size + 1), size, 'roles', (last) => ({ sid: last.sid }));
      const scope = scopeOf(request);
      return page(request, `${scope.base}/v1/Roles`, 'roles', shown.map((r) => roleResource(scope, r)), request.query, next);
    });
    api.get<{ Params: Params }>('/Roles/:role', async (request) => {
      const role = (await rulesNow()).roles.get(request.params['role']!);
      if (role === undefined) throw new RestError(404, TWILIO_CODES.notFound, `The requested resource /v1/Roles/${request.params['role']} was not found`);
      return roleResource(scopeOf(request), role);
    });
    api.post<{ Body: Record<string, string | string[] | undefined> }>(
      '/Roles',
      { schema: { body: form({ FriendlyName: text, Type: { enum: ['conversation', 'service'] }, Permission: { anyOf: [text, { type: 'array', items: text }] } }, ['FriendlyName', 'Type', 'Permission']) } },
      async (request, reply) => {
        const b = request.body;
        const friendlyName = b['FriendlyName'] as string;
        if (friendlyName === '' || friendlyName.length > 64) throw new RestError(400, TWILIO_CODES.invalidParameter, 'Invalid FriendlyName: 1 to 64 characters');
        const fields = { friendlyName, type: b['Type'] as 'conversation' | 'service', permissions: permissionsOf(b['Permission']) };
        const role = await settle(accountOps.createRole(callerOf(request), fields));
        return reply.status(201).send(roleResource(scopeOf(request), role));
      },
    );
    api.post<{ Params: Params; Body: Record<string, string | string[] | undefined> }>(
      '/Roles/:role',
      { schema: { body: form({ Permission: { anyOf: [text, { type: 'array', items: text }] } }, ['Permission']) } },
      async (request) => {
        const role = await settle(accountOps.updateRole(callerOf(request), request.params['role']!, permissionsOf(request.body['Permission'])));
        return roleResource(scopeOf(request), role);
      },
    );
    api.delete<{ Params: Params }>('/Roles/:role', async (request, reply) => {
      await settle(accountOps.deleteRole(callerOf(request), request.params['role']!));
      return reply.status(204).send();
    });

    // Users
    const presented = function* (tx: StoreTx, row: UserRow): Step<{ row: UserRow; online: boolean; notifiable: boolean }> {
      return { row, online: yield* core.shownOnline(row.identity), notifiable: (yield* tx.countRegistrations(row.identity)) > 0 };
    };
    const presentedAll = function* (tx: StoreTx, rows: readonly UserRow[]): Step<Array<{ row: UserRow; online: boolean; notifiable: boolean; serviceRole: string }>> {
      const serviceRole = (yield* core.accessRules(tx)).defaults.service;
      const out = [];
      for (const row of rows) out.push({ ...(yield* presented(tx, row)), serviceRole });
      return out;
    };
    const presentedOne = function* (tx: StoreTx, row: UserRow) {
      return (yield* presentedAll(tx, [row]))[0]!;
    };
    const userOut = (request: FastifyRequest, user: { row: UserRow; online: boolean; notifiable: boolean; serviceRole: string }) =>
      userResource(scopeOf(request), user.row, user.online, user.notifiable, user.serviceRole);

    api.post<{ Body: Body }>('/Users', { schema: { body: form({ Identity: text, FriendlyName: text, Attributes: text, RoleSid: text }, ['Identity']) } }, async (request, reply) => {
      const b = request.body ?? {};
      const identity = identityChecked(b['Identity']!, 'Identity');
      const changes = { friendlyName: b['FriendlyName'], attributes: attributesOf(b['Attributes']) };
      check('users.updateMe', changes);
      Object.assign(changes, { roleSid: b['RoleSid'] });
      const { user, created } = await settle(accountOps.createUser(callerOf(request), identity, changes));
      if (!created) throw new RestError(409, TWILIO_CODES.userExists, `A user with identity ${JSON.stringify(identity.slice(0, 64))} already exists`);
      return reply.status(201).send(userOut(request, await read((tx) => presentedOne(tx, user))));
    });

    api.get<{ Querystring: Query }>('/Users', { schema: { querystring: form(PAGING) } }, async (request) => {
      const size = pageSizeOf(request.query);
      const after = positionOf<{ identity: string }>('users', request.query);
      const users = await read(function* (tx) {
        return yield* presentedAll(tx, yield* tx.usersPage(after?.identity ?? null, size + 1));
      });
      const { shown, next } = cut(users, size, 'users', (last) => ({ identity: last.row.identity }));
      return page(request, usersUrl(scopeOf(request)), 'users', shown.map((u) => userOut(request, u)), request.query, next);
    });

    api.get<{ Params: Params }>('/Users/:user', async (request) => {
      return userOut(request, await read(function* (tx) {
        return yield* presentedOne(tx, yield* findUserById(tx, request.params['user']!));
      }));
    });

    api.post<{ Params: Params; Body: Body }>('/Users/:user', { schema: { body: form({ FriendlyName: text, Attributes: text, RoleSid: text }) } }, async (request) => {
      const b = request.body ?? {};
      const changes = { friendlyName: b['FriendlyName'], attributes: attributesOf(b['Attributes']) };
      check('users.updateMe', changes);
      const row = await settle(accountOps.updateUser(callerOf(request), request.params['user']!, { ...changes, roleSid: b['RoleSid'] }));
      return userOut(request, await read((tx) => presentedOne(tx, row)));
    });

    api.delete('/Users/:user', async () => {
      throw new RestError(405, TWILIO_CODES.methodNotAllowed, 'Deleting a user is not supported: remove them from their conversations instead');
    });

    api.get<{ Querystring: Query & { Identity?: string; Address?: string } }>(
      '/ParticipantConversations',
      { schema: { querystring: form({ ...PAGING, Identity: text, Address: text }) } },
      async (request) => {
        const size = pageSizeOf(request.query);
        const scope = scopeOf(request);
        const listUrl = `${scope.base}/v1/ParticipantConversations`;
        const identity = request.query.Identity;
        // Chat participants have no address: filtering by one finds nobody.
        if (identity === undefined) {
          if (request.query.Address === undefined) throw new RestError(400, TWILIO_CODES.invalidParameter, 'Invalid parameter: give Identity or Address');
          return page(request, listUrl, 'conversations', [], request.query, null, { Address: request.query.Address });
        }
        const { user, items } = await read(function* (tx) {
          const user = yield* tx.getUser(identity);
          if (user === undefined) return { user, items: [] };
          const after = positionOf<{ id: number }>(`participant-conversations:${user.sid}`, request.query);
          const items = [];
          for (const participant of yield* tx.membershipsPage(user.identity, after?.id ?? 0, size + 1)) {
            items.push({ participant, conversation: (yield* tx.getConversation(participant.conversation_sid))! });
          }
          return { user, items };
        });
        const { shown, next } = cut(items, size, `participant-conversations:${user?.sid ?? ''}`, (last) => ({ id: last.participant.id }));
        const resources = user === undefined ? [] : shown.map((i) => participantConversationResource(scope, user, i.conversation, i.participant));
        return page(request, listUrl, 'conversations', resources, request.query, next, { Identity: identity });
      },
    );

    const membershipOf = function* (tx: StoreTx, userId: string, conversationId: string) {
      const user = yield* findUserById(tx, userId);
      const conversation = yield* findConversationById(tx, conversationId);
      const participant = yield* tx.getParticipant(conversation.sid, user.identity);
      if (participant === undefined) throw new RestError(404, TWILIO_CODES.notFound, 'the user is not a participant of this conversation');
      return { user, conversation, participant, unread: yield* tx.unreadCount(conversation.sid, participant.last_read_message_index, user.identity) };
    };
    const membershipOut = (request: FastifyRequest, m: { user: UserRow; conversation: ConversationRow; participant: ParticipantRow; unread: number }) =>
      userConversationResource(scopeOf(request), m.user, m.conversation, m.participant, m.unread);

    api.get<{ Params: Params }>('/Users/:user/Conversations/:conversation', async (request) =>
      membershipOut(request, await read((tx) => membershipOf(tx, request.params['user']!, request.params['conversation']!))),
    );

    api.post<{ Params: Params; Body: Record<string, unknown> }>(
      '/Users/:user/Conversations/:conversation',
      { schema: { body: form({ NotificationLevel: { enum: ['default', 'muted'] }, LastReadMessageIndex: { type: 'integer', minimum: 0 } }) } },
      async (request) => {
        const b = request.body ?? {};
        await settle(
          accountOps.updateMembership(callerOf(request), request.params['user']!, request.params['conversation']!, {
            notificationLevel: b['NotificationLevel'] as 'default' | 'muted' | undefined,
            lastReadMessageIndex: b['LastReadMessageIndex'] as number | undefined,
          }),
        );
        return membershipOut(request, await read((tx) => membershipOf(tx, request.params['user']!, request.params['conversation']!)));
      },
    );

    api.delete<{ Params: Params }>('/Users/:user/Conversations/:conversation', async (request, reply) => {
      const { participant, conversation } = await read((tx) => membershipOf(tx, request.params['user']!, request.params['conversation']!));
      await settle(accountOps.removeParticipant(callerOf(request), conversation.sid, participant.sid));
      return reply.status(204).send();
    });

    api.get<{ Params: Params; Querystring: Query }>('/Users/:user/Conversations', { schema: { querystring: form(PAGING) } }, async (request) => {
      const size = pageSizeOf(request.query);
      const { user, items } = await read(function* (tx) {
        const user = yield* findUserById(tx, request.params['user']!);
        const after = positionOf<{ id: number }>(`user-conversations:${user.sid}`, request.query);
        const memberships = yield* tx.membershipsPage(user.identity, after?.id ?? 0, size + 1);
        const items = [];
        for (const participant of memberships) {
          const conversation = (yield* tx.getConversation(participant.conversation_sid))!;
          items.push({ participant, conversation, unread: yield* tx.unreadCount(conversation.sid, participant.last_read_message_index, user.identity) });
        }
        return { user, items };
      });
      const { shown, next } = cut(items, size, `user-conversations:${user.sid}`, (last) => ({ id: last.participant.id }));
      const scope = scopeOf(request);
      const resources = shown.map((i) => userConversationResource(scope, user, i.conversation, i.participant, i.unread));
      return page(request, `${usersUrl(scope)}/${user.sid}/Conversations`, 'conversations', resources, request.query, next);
    });
  };

  await app.register(routes, { prefix: '/v1' });
  // The one service (Twilio's library fetches it by sid, or lists the account's services).
  await app.register(
    async (api) => {
      api.get<{ Querystring: Query }>('/Services', { schema: { querystring: form(PAGING) } }, async (request) => {
        const scope = scopeOf(request);
        return page(request, `${scope.base}/v1/Services`, 'services', [serviceResource(scope)], request.query, null);
      });
      api.get<{ Params: Params }>('/Services/:service', async (request) => {
        if (request.params['service'] !== serviceSid) throw new RestError(404, TWILIO_CODES.notFound, `The requested resource /v1/Services/${request.params['service']} was not found`);
        return serviceResource(scopeOf(request));
      });
    },
    { prefix: '/v1' },
  );
  await app.register(
    async (api) => {
      await conversationWebhookRoutes(api);
      await webhookRoutes(api, 'account');
    },
    { prefix: '/v1' },
  );
  await app.register(
    async (service) => {
      service.addHook('preHandler', async (request: FastifyRequest<{ Params: Params }>) => {
        if (request.params['service'] !== serviceSid) {
          throw new RestError(404, TWILIO_CODES.notFound, `The requested resource /v1/Services/${request.params['service']} was not found`);
        }
      });
      await routes(service);
      // The service's Configuration: which roles creators, participants and users get (ADMIN-4).
      service.get('/Configuration', async (request) =>
        serviceConfigurationResource(scopeOf(request), (await read((tx) => core.accessRules(tx))).defaults, core.reachabilityEnabled),
      );
      service.post<{ Body: Record<string, unknown> }>(
        '/Configuration',
        {
          schema: {
            body: form({ DefaultConversationCreatorRoleSid: text, DefaultConversationRoleSid: text, DefaultChatServiceRoleSid: text, ReachabilityEnabled: { type: 'boolean' } }),
          },
        },
        async (request) => {
          const b = request.body ?? {};
          if (b['ReachabilityEnabled'] !== undefined && b['ReachabilityEnabled'] !== core.reachabilityEnabled) {
            throw new RestError(400, TWILIO_CODES.invalidParameter, 'Invalid ReachabilityEnabled: it is set by the server option reachabilityEnabled (--reachability)');
          }
          const defaults = await settle(
            accountOps.updateRoleDefaults(callerOf(request), {
              conversationCreator: b['DefaultConversationCreatorRoleSid'] as string | undefined,
              conversation: b['DefaultConversationRoleSid'] as string | undefined,
              service: b['DefaultChatServiceRoleSid'] as string | undefined,
            }),
          );
          return serviceConfigurationResource(scopeOf(request), defaults, core.reachabilityEnabled);
        },
      );
      await conversationWebhookRoutes(service);
      await webhookRoutes(service, 'service');
    },
    { prefix: '/v1/Services/:service' },
  );
  await app.ready();

  return {
    handle(req, res) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (!path.startsWith('/v1/') || path === '/v1/auth') return false;
      app.routing(req, res);
      return true;
    },
    close: () => app.close(),
  };
}
