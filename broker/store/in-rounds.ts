/** How many sessions are read from (or claimed in) Redis at once: many per round trip, without a burst of thousands. */
export const SESSIONS_PER_ROUND = 256

/** Runs `work` on every item, `perRound` at a time (each round waits for the one before). */
export async function inRounds<T>(items: readonly T[], work: (item: T) => Promise<void>, perRound = SESSIONS_PER_ROUND): Promise<void> {
  for (let first = 0; first < items.length; first += perRound) {
    await Promise.all(items.slice(first, first + perRound).map(work))
  }
}
