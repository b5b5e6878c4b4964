/**
 * How long a provider asked us to wait, in whole seconds, or undefined when it did not say. Read from
 * `Retry-After` (seconds or an HTTP date, RFC 9110 §10.2.3), else from the `X-RateLimit-Reset` /
 * `X-RateLimit-Remaining` pair Brave sends (comma-separated, one value per window: per second, per month).
 */
export function retryAfterSeconds(headers: Readonly<Record<string, string>>, now: number = Date.now()): number | undefined {
  const retryAfter = headers["retry-after"]?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - now) / 1000));
  }
  return rateLimitWindowReset(headers);
}

/**
 * The reset of the window that is exhausted. Taking simply the first value would say "wait 1 s" when the
 * monthly quota is the one used up, so the window with 0 remaining decides; without that, the longest.
 */
function rateLimitWindowReset(headers: Readonly<Record<string, string>>): number | undefined {
  const resets = numberList(headers["x-ratelimit-reset"]);
  if (resets.length === 0) return undefined;
  const remaining = numberList(headers["x-ratelimit-remaining"]);
  const exhausted = resets.filter((_, index) => remaining[index] === 0);
  return Math.max(...(exhausted.length > 0 ? exhausted : resets));
}

function numberList(value: string | undefined): number[] {
  if (!value) return [];
  const numbers = value.split(",").map((part) => Number(part.trim()));
  return numbers.every((n) => Number.isFinite(n) && n >= 0) ? numbers : [];
}
