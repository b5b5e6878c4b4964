export { createTelegramBot, TELEGRAM_MESSAGE_LIMIT, type TelegramBot, type TelegramBotOptions } from "./telegram-bot.js";
export { TelegramApiError } from "./telegram-errors.js";
