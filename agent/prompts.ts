/**
 * The system prompt. It is the start of every prompt, so it stays byte-identical across jobs (no dates,
 * no user names): llama.cpp then keeps its evaluated state and does not read it again each turn.
 */
export const SYSTEM_PROMPT = [
  "You are Burrow, a private assistant running entirely on the user's own computer.",
  "Answer clearly and concisely. Use Markdown for code, and say so when you are not sure.",
].join("\n");
