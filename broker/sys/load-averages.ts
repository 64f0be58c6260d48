/** The windows of Mosquitto's load figures, in seconds, and the topic level that names each. */
const WINDOWS: ReadonlyArray<readonly [seconds: number, level: string]> = [
  [60, '1min'],
  [300, '5min'],
  [900, '15min']
]

/**
 * Mosquitto's `$SYS/broker/load/.../{1min,5min,15min}` figures for a set of counters: how many a minute, as
 * exponentially weighted moving averages over 1, 5 and 15 minutes, updated at each $SYS round from the counters'
 * growth since the last one (mosquitto src/sys_tree.c `calc_load`: the same weights, the same two decimals).
 */
export class LoadAverages<Name extends string> {
  private readonly last: Map<Name, number>
  private readonly averages = new Map<Name, number[]>()

  constructor(initial: Readonly<Record<Name, number>>) {
    this.last = new Map(Object.entries(initial) as Array<[Name, number]>)
    for (const name of this.last.keys())
      this.averages.set(
        name,
        WINDOWS.map(() => 0)
      )
  }

  /** Takes the counters' values now, `elapsedSeconds` after the last update (nothing changes when it is 0). */
  update(counts: Readonly<Record<Name, number>>, elapsedSeconds: number): void {
    if (elapsedSeconds <= 0) return
    for (const [name, averages] of this.averages) {
      const count = counts[name]
      const perMinute = ((count - this.last.get(name)!) * 60) / elapsedSeconds
      this.last.set(name, count)
      WINDOWS.forEach(([window], index) => {
        const weight = Math.exp(-elapsedSeconds / window)
        averages[index] = weight * averages[index]! + (1 - weight) * perMinute
      })
    }
  }

  /** `[topic under load/, value]` of every counter and window, e.g. `['messages/received/1min', '12.50']`. */
  figures(): Array<[string, string]> {
    const figures: Array<[string, string]> = []
    for (const [name, averages] of this.averages) {
      WINDOWS.forEach(([, level], index) => {
        figures.push([`${name}/${level}`, averages[index]!.toFixed(2)])
      })
    }
    return figures
  }
}
