/**
 * The Wilson score interval for a success share: unlike "p ± 1.96·√(p(1−p)/n)" it stays inside [0, 1]
 * and is honest for small n and for shares near 0 or 1 (20 tasks with 14 passes: 70 %, 48–85 %).
 */
export function wilsonInterval(successes: number, trials: number, z = 1.959964): { low: number; high: number } {
  if (trials <= 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
