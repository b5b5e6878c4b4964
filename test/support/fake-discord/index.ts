// A local fake Discord (REST + WebSocket gateway + attachment CDN) for driving the real discord.js client.
export { FakeDiscord, type FakeDiscordOptions, type FakeGuild, type RecordedRestRequest, type StoredMessage } from "./fake-discord.js";
export { ChannelKind, type AttachmentPayload, type ChannelPayload, type MessagePayload, type UserPayload } from "./payloads.js";
