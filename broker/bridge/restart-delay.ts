/**
 * How long to wait before connecting again after `failures` failed attempts in a row (1 or more), in seconds:
 * `base` doubled for each failure after the first, at most `max`, then drawn at random from its upper half. The
 * jitter keeps the bridges of many sites from knocking on a cloud broker all at once after it comes back.
 */
export function restartDelay(failures: number, base: number, max: number, random: () => number = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.min(Math.max(0, failures - 1), 30))
  return ceiling / 2 + (ceiling / 2) * random()
}
