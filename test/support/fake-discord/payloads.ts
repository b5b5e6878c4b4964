/**
 * Discord API v10 object shapes, reduced to the fields the real discord.js 14 client reads (see
 * ../shared/FIELD-NOTES.md, "Driving the real discord.js 14 against a local fake"). Plain JSON, as the
 * real API sends it.
 */

export const ChannelKind = { GuildText: 0, DM: 1, PublicThread: 11 } as const;

export interface UserPayload {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
}

export interface ChannelPayload {
  id: string;
  type: number;
  guild_id?: string;
  parent_id?: string | null;
  name?: string;
  owner_id?: string;
  position?: number;
  permission_overwrites?: unknown[];
  recipients?: UserPayload[];
  thread_metadata?: { archived: boolean; auto_archive_duration: number; archive_timestamp: string; locked: boolean };
  message_count?: number;
  member_count?: number;
  rate_limit_per_user?: number;
  flags?: number;
  last_message_id?: string | null;
}

export interface AttachmentPayload {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
}

export interface MessagePayload {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: UserPayload;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: UserPayload[];
  mention_roles: string[];
  attachments: AttachmentPayload[];
  embeds: unknown[];
  pinned: boolean;
  type: number;
  flags: number;
  channel_type?: number;
  member?: MemberPayload;
  webhook_id?: string;
  application_id?: string;
}

export interface MemberPayload {
  user?: UserPayload;
  roles: string[];
  joined_at: string;
  deaf: boolean;
  mute: boolean;
  flags: number;
  permissions?: string;
}

export function userPayload(id: string, username: string, bot = false): UserPayload {
  return { id, username, discriminator: "0", global_name: null, avatar: null, ...(bot ? { bot: true } : {}) };
}

export function memberPayload(user: UserPayload): MemberPayload {
  // Every permission bit: the fake does not model permissions, and discord.js reads them as a bitfield.
  return { user, roles: [], joined_at: new Date(0).toISOString(), deaf: false, mute: false, flags: 0, permissions: "2251799813685247" };
}

export function textChannelPayload(id: string, guildId: string, name: string, position: number): ChannelPayload {
  return { id, type: ChannelKind.GuildText, guild_id: guildId, name, position, permission_overwrites: [], parent_id: null, rate_limit_per_user: 0, flags: 0, last_message_id: null };
}

export function threadPayload(id: string, guildId: string, parentId: string, name: string, ownerId: string): ChannelPayload {
  return {
    id,
    type: ChannelKind.PublicThread,
    guild_id: guildId,
    parent_id: parentId,
    name,
    owner_id: ownerId,
    thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
    message_count: 0,
    member_count: 1,
    rate_limit_per_user: 0,
    flags: 0,
    last_message_id: null,
  };
}

export function dmChannelPayload(id: string, recipient: UserPayload): ChannelPayload {
  return { id, type: ChannelKind.DM, recipients: [recipient], last_message_id: null, flags: 0 };
}

export function messagePayload(fields: Pick<MessagePayload, "id" | "channel_id" | "author" | "content"> & Partial<MessagePayload>): MessagePayload {
  return {
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
    flags: 0,
    ...fields,
  };
}
