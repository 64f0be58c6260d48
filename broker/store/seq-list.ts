/**
 * Queue row keys (seqs) in ascending order, as a deque of float64s: 8 bytes a row, where an array of numbers would
 * cost a boxed element each for keys beyond 2^31. Taken from the front, pushed at the back.
 */
export class SeqList {
  private seqs: Float64Array
  private head = 0
  private tail = 0

  constructor(initial: Float64Array = new Float64Array(0)) {
    this.seqs = initial.length === 0 ? new Float64Array(16) : initial
    this.tail = initial.length
  }

  get length(): number {
    return this.tail - this.head
  }

  /** The first seq, or undefined when empty. */
  get first(): number | undefined {
    return this.head === this.tail ? undefined : this.seqs[this.head]
  }

  push(seq: number): void {
    if (this.tail === this.seqs.length) this.grow()
    this.seqs[this.tail++] = seq
  }

  /** Removes and returns the first `count` seqs (fewer when shorter). */
  take(count: number): Float64Array {
    const end = Math.min(this.tail, this.head + count)
    const taken = this.seqs.slice(this.head, end)
    this.head = end
    if (this.head === this.tail) this.clear()
    return taken
  }

  /** Keeps only the seqs above `seq`, after `before` (ascending, all at most `seq`). */
  replaceUpTo(seq: number, before: Float64Array): void {
    let from = this.head
    while (from < this.tail && this.seqs[from] <= seq) from++
    const kept = this.seqs.subarray(from, this.tail)
    const next = new Float64Array(Math.max(16, before.length + kept.length))
    next.set(before, 0)
    next.set(kept, before.length)
    this.seqs = next
    this.head = 0
    this.tail = before.length + kept.length
  }

  clear(): void {
    this.head = 0
    this.tail = 0
    if (this.seqs.length > 1024) this.seqs = new Float64Array(16)
  }

  /** Makes room at the back: moves the live part to the front, into a buffer twice as large when it fills half. */
  private grow(): void {
    const live = this.tail - this.head
    if (live * 2 <= this.seqs.length) {
      this.seqs.copyWithin(0, this.head, this.tail)
    } else {
      const next = new Float64Array(this.seqs.length * 2)
      next.set(this.seqs.subarray(this.head, this.tail))
      this.seqs = next
    }
    this.head = 0
    this.tail = live
  }
}
