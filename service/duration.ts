const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** `90s`, `10m`, `12h`, `30d` in ms (a whole number and one unit, as config files write them); undefined otherwise. */
export function parseDuration (text: string): number | undefined {
  const match = /^(\d+)(s|m|h|d)$/.exec(text)
  return match === null ? undefined : Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
}
