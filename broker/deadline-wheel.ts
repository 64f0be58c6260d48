/** Something with at most one deadline on a wheel; the wheel keeps its slot in it, so cancelling is O(1). */
export interface DeadlineTarget {
  /** The wheel's bookkeeping: the slot the target waits in, NO_DEADLINE when it waits in none. */
  deadlineSlot: number
  /** The deadline has passed (`now`, in ms since the epoch); the target schedules the next one itself if it wants one. */
  deadlineReached(now: number): void
}

export const NO_DEADLINE = -1

/**
 * Coarse deadlines for many targets (connect timeouts, keepalive checks) on one interval timer instead of a
 * timer each: a Node Timeout with its arguments costs about 200 bytes of every idle connection, a slot entry
 * here about 20. Time is cut into slots of `resolutionMs`; a target waits in the slot after its deadline, so it
 * is called at most one slot (plus timer lag) late and never early. The timer runs only while a target waits,
 * and is unref'd: deadlines never keep a process alive.
 *
 * Invariant: a target is in the Set of slot `deadlineSlot`, or in none and its `deadlineSlot` is NO_DEADLINE.
 */
export class DeadlineWheel {
  private readonly slots = new Map<number, Set<DeadlineTarget>>()
  /** Slots count from here, so slot numbers stay small integers. */
  private readonly origin = Date.now()
  /** Every slot up to this one has been called. */
  private passedSlot: number
  private waiting = 0
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly resolutionMs: number) {
    this.passedSlot = this.slotAt(this.origin) - 1
  }

  /** Calls `target.deadlineReached` once, soon after `at` (ms since the epoch); replaces its earlier deadline. */
  schedule(target: DeadlineTarget, at: number): void {
    this.cancel(target)
    // Never into a slot already passed: a deadline in the past is called on the next tick.
    const slot = Math.max(Math.ceil((at - this.origin) / this.resolutionMs), this.passedSlot + 1)
    let targets = this.slots.get(slot)
    if (targets === undefined) {
      targets = new Set()
      this.slots.set(slot, targets)
    }
    targets.add(target)
    target.deadlineSlot = slot
    this.waiting++
    this.timer ??= setInterval(tickWheel, this.resolutionMs, this).unref()
  }

  cancel(target: DeadlineTarget): void {
    const slot = target.deadlineSlot
    if (slot === NO_DEADLINE) return
    target.deadlineSlot = NO_DEADLINE
    const targets = this.slots.get(slot)
    if (targets === undefined || !targets.delete(target)) return
    if (targets.size === 0) this.slots.delete(slot)
    this.waiting--
    this.stopWhenEmpty()
  }

  /** Calls every target whose slot has passed. */
  tick(now = Date.now()): void {
    const current = this.slotAt(now)
    while (this.passedSlot < current) {
      const slot = ++this.passedSlot
      const targets = this.slots.get(slot)
      if (targets === undefined) continue
      this.slots.delete(slot)
      this.waiting -= targets.size
      for (const target of targets) {
        target.deadlineSlot = NO_DEADLINE
        target.deadlineReached(now)
      }
    }
    this.stopWhenEmpty()
  }

  private slotAt(time: number): number {
    return Math.floor((time - this.origin) / this.resolutionMs)
  }

  private stopWhenEmpty(): void {
    if (this.waiting > 0) return
    clearInterval(this.timer)
    this.timer = undefined
  }
}

function tickWheel(wheel: DeadlineWheel): void {
  wheel.tick()
}
