export { FakeTelegram, FAKE_BOT, type ChatMessage, type PushMessage, type RecordedCall } from "./fake-telegram.js";
