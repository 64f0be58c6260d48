const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/**
 * A time as config files and flags write it, in ms: `500ms`, `5s`, `1.5m`, `12h`, `30d`, or a bare number of
 * seconds; undefined for anything else. The one reader of times for every command's settings.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d*\.?\d+)(ms|s|m|h|d)?$/.exec(text)
  return match === null ? undefined : Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS]
}
