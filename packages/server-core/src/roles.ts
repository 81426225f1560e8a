/**
 * Roles and permissions (ADMIN-4), with Twilio's names. A participant holds one conversation role in
 * each conversation; a user holds one service role. What a caller may do in a conversation is the
 * union of the two: a service role that names a conversation permission grants it in every
 * conversation the user takes part in. The account (the REST API) is never checked.
 */

/** What every member of a conversation may do by default (the channel user role). */
const CHANNEL_USER = [
  'sendMessage',
  'reactToMessage',
  'sendMediaMessage',
  'leaveConversation',
  'editOwnMessage',
  'editOwnMessageAttributes',
  'deleteOwnMessage',
  'editOwnParticipantAttributes',
  'editNotificationLevel',
] as const;

/**
 * Permissions a conversation role may hold (Twilio's Role resource, plus the names its SDKs use, plus
 * `reactToMessage` for reactions, which Twilio does not have): a member's, then those for managing.
 */
export const CONVERSATION_PERMISSIONS = [
  ...CHANNEL_USER,
  'addParticipant',
  'addNonChatParticipant',
  'removeParticipant',
  'editAnyParticipantAttributes',
  'editConversationName',
  'editConversationAttributes',
  'editAnyMessage',
  'editAnyMessageAttributes',
  'deleteAnyMessage',
  'deleteConversation',
  'editOwnUserInfo',
  'editAnyUserInfo',
] as const;

/** Permissions a service role may hold. */
export const SERVICE_PERMISSIONS = [
  'createConversation',
  'joinConversation',
  'editOwnUserInfo',
  'editAnyUserInfo',
  'addParticipant',
  'removeParticipant',
  'editConversationName',
  'editConversationAttributes',
  'editOwnMessage',
  'editOwnMessageAttributes',
  'editAnyMessage',
  'editAnyMessageAttributes',
  'deleteAnyMessage',
  'deleteConversation',
] as const;

export type ConversationPermission = (typeof CONVERSATION_PERMISSIONS)[number];
export type ServicePermission = (typeof SERVICE_PERMISSIONS)[number];
export type Permission = ConversationPermission | ServicePermission;
export type RoleType = 'conversation' | 'service';

/** The permissions a role of `type` may hold. */
export function permissionsOfType(type: RoleType): readonly Permission[] {
  return type === 'conversation' ? CONVERSATION_PERMISSIONS : SERVICE_PERMISSIONS;
}

/** A `roles` row: a custom role, or a default role whose permissions the app changed. `permissions` is a JSON array. */
export interface RoleRow {
  sid: string;
  friendly_name: string;
  type: RoleType;
  permissions: string;
  created_at: number;
  updated_at: number;
}

/** A role as the core checks it. */
export interface Role {
  readonly sid: string;
  readonly friendlyName: string;
  readonly type: RoleType;
  readonly permissions: ReadonlySet<string>;
  /** One of the four roles every server has: it can be changed, never deleted. */
  readonly isDefault: boolean;
  /** Null for a default role nobody changed. */
  readonly createdAt: number | null;
  readonly updatedAt: number | null;
}

/** The sids of the four default roles, the same on every server (Twilio's Chat defaults). */
export const DEFAULT_ROLE_SIDS = {
  channelUser: 'RL00000000000000000000000000000001',
  channelAdmin: 'RL00000000000000000000000000000002',
  serviceUser: 'RL00000000000000000000000000000003',
  serviceAdmin: 'RL00000000000000000000000000000004',
} as const;

/**
 * The defaults, until the app changes them through the REST API. Members edit and delete their own
 * messages; admins manage the conversation and everyone's messages. Every user may create
 * conversations and join any conversation whose sid or unique name they know (Twilio's behaviour):
 * take `joinConversation` from the service user role to make conversations private, so that users
 * join only when added.
 */
export const DEFAULT_ROLES: readonly Role[] = [
  { sid: DEFAULT_ROLE_SIDS.channelUser, friendlyName: 'channel user', type: 'conversation' as const, permissions: new Set(CHANNEL_USER) },
  { sid: DEFAULT_ROLE_SIDS.channelAdmin, friendlyName: 'channel admin', type: 'conversation' as const, permissions: new Set(CONVERSATION_PERMISSIONS) },
  { sid: DEFAULT_ROLE_SIDS.serviceUser, friendlyName: 'service user', type: 'service' as const, permissions: new Set(['createConversation', 'joinConversation', 'editOwnUserInfo']) },
  { sid: DEFAULT_ROLE_SIDS.serviceAdmin, friendlyName: 'service admin', type: 'service' as const, permissions: new Set(SERVICE_PERMISSIONS) },
].map((role) => ({ ...role, isDefault: true, createdAt: null, updatedAt: null }));

/** The roles new participants, creators and users get (Twilio's service Configuration). */
export interface RoleDefaults {
  /** `DefaultConversationRoleSid`: who joins or is added without a role. */
  readonly conversation: string;
  /** `DefaultConversationCreatorRoleSid`: who creates a conversation. */
  readonly conversationCreator: string;
  /** `DefaultChatServiceRoleSid`: every user without a role of their own. */
  readonly service: string;
}

/** The `settings` keys the role defaults are stored under. */
export const ROLE_DEFAULT_KEYS: { readonly [K in keyof RoleDefaults]: string } = {
  conversation: 'default_conversation_role_sid',
  conversationCreator: 'default_conversation_creator_role_sid',
  service: 'default_chat_service_role_sid',
};

/** Every role and the defaults, as one node last read them. */
export class AccessRules {
  readonly roles: ReadonlyMap<string, Role>;
  readonly defaults: RoleDefaults;

  constructor(rows: readonly RoleRow[], settings: ReadonlyMap<string, string>) {
    const roles = new Map(DEFAULT_ROLES.map((role) => [role.sid, role]));
    for (const row of rows) {
      roles.set(row.sid, {
        sid: row.sid,
        friendlyName: row.friendly_name,
        type: row.type,
        permissions: new Set(JSON.parse(row.permissions) as string[]),
        isDefault: roles.get(row.sid)?.isDefault ?? false,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      });
    }
    this.roles = roles;
    const setting = (key: keyof RoleDefaults, fallback: string) => settings.get(ROLE_DEFAULT_KEYS[key]) ?? fallback;
    this.defaults = {
      conversation: setting('conversation', DEFAULT_ROLE_SIDS.channelUser),
      conversationCreator: setting('conversationCreator', DEFAULT_ROLE_SIDS.channelAdmin),
      service: setting('service', DEFAULT_ROLE_SIDS.serviceUser),
    };
  }

  /** The permissions of a role; none for a sid that names no role (a deleted one). */
  permissionsOf(roleSid: string): ReadonlySet<string> {
    return this.roles.get(roleSid)?.permissions ?? NONE;
  }
}

const NONE: ReadonlySet<string> = new Set();
