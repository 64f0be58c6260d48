/** Something that acts at a wall-clock time: a device taking its next reading. */
export interface Scheduled {
  /** Wall-clock ms when `due` should next run; the item moves it on itself. */
  nextDue: number
  due(now: number): void
}

/**
 * One timer for a whole fleet: every `tickMs` it runs the items whose time has come. 10 000 devices
 * with a timer each would mean 10 000 timer objects and callbacks; one tick over an array costs a
 * comparison per device and keeps readings within `tickMs` of their time.
 */
export class ReadingScheduler {
  private readonly items: Scheduled[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(readonly tickMs = 50) {}

  get size(): number {
    return this.items.length
  }

  add(item: Scheduled): void {
    this.items.push(item)
    this.timer ??= setInterval(() => this.tick(Date.now()), this.tickMs)
  }

  remove(item: Scheduled): void {
    const index = this.items.indexOf(item)
    if (index >= 0) this.items.splice(index, 1)
    if (this.items.length === 0) this.stop()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private tick(now: number): void {
    for (const item of this.items) {
      if (item.nextDue <= now) item.due(now)
    }
  }
}
