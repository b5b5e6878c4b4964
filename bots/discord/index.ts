// The Discord front end (discord.js 14).
export { createDiscordBot, DISCORD_MESSAGE_LIMIT, type DiscordBot, type DiscordBotOptions } from "./discord-bot.js";
export { SLASH_COMMANDS } from "./commands.js";
