/** What a bot's /privacy shows an admin: the daemon's egress audit summary, formatted by src/privacy-report.ts. */
export type PrivacyReportSource = () => string | Promise<string>;

/** The reply to a /privacy from someone who is allowed but not an admin. */
export const PRIVACY_ADMINS_ONLY = "Only an admin (BURROW_ADMINS) can see the privacy report. On the machine running Burrow, `burrow privacy report` shows it to anyone who can read its data directory.";

/** The reply when the daemon gave the bot no report source (e.g. a bots-only process without the data directory). */
export const PRIVACY_UNAVAILABLE = "The privacy report is not available in this process; run `burrow privacy report` on the machine running Burrow.";

const TRUNCATED = "\n… (cut to fit one message; `burrow privacy report` on the machine shows all of it)";

/** Fits the report into one chat message of `limit` characters, cutting at a line break and saying so. */
export function fitPrivacyReport(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const room = limit - TRUNCATED.length;
  const cut = text.lastIndexOf("\n", room);
  return `${text.slice(0, cut > 0 ? cut : room)}${TRUNCATED}`;
}
