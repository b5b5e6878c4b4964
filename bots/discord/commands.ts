import { ApplicationCommandOptionType, ApplicationCommandType, InteractionContextType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from "discord.js";

/**
 * Burrow's slash commands, registered globally at start-up (so they also work in DMs). Registering the
 * same list again is a no-op on Discord's side, so every start can do it.
 */
export const SLASH_COMMANDS: RESTPostAPIChatInputApplicationCommandsJSONBody[] = [
  {
    name: "ask",
    description: "Ask Burrow a question (opens a thread in a server channel).",
    type: ApplicationCommandType.ChatInput,
    contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
    options: [
      { type: ApplicationCommandOptionType.String, name: "question", description: "What you want to know", required: true, max_length: 4000 },
      { type: ApplicationCommandOptionType.Attachment, name: "file", description: "A text file to read with the question", required: false },
    ],
  },
  {
    name: "review",
    description: "Queue a code review of a file.",
    type: ApplicationCommandType.ChatInput,
    contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
    options: [
      { type: ApplicationCommandOptionType.Attachment, name: "file", description: "The code to review (a text file)", required: true },
      { type: ApplicationCommandOptionType.String, name: "focus", description: "What to look at (e.g. security, tests)", required: false, max_length: 1000 },
    ],
  },
  {
    name: "cancel",
    description: "Stop your running answer, or remove your waiting request.",
    type: ApplicationCommandType.ChatInput,
    contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
  },
  {
    name: "status",
    description: "Show the queue, the model and how long Burrow has been up.",
    type: ApplicationCommandType.ChatInput,
    contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
  },
  {
    name: "privacy",
    description: "What left this machine: destinations, search queries sent, anything refused (admins only).",
    type: ApplicationCommandType.ChatInput,
    contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
  },
  {
    name: "new",
    description: "Start a fresh conversation here (forget this thread's or DM's history).",
    type: ApplicationCommandType.ChatInput,
    contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
  },
];

export type SlashCommandName = "ask" | "review" | "cancel" | "status" | "privacy" | "new";
