/**
 * The part of a session queue held in memory, oldest first: an array used as a deque whose head advances, compacted
 * once the consumed part is at least half of it (and 1024 long), with the payload bytes of what it holds. A memory
 * queue is all window; a paged queue keeps its head here and the rest in its store.
 */
export class QueueWindow<T> {
  private items: T[] = []
  private head = 0
  private byteCount = 0

  constructor(private readonly sizeOf: (item: T) => number) {}

  get length(): number {
    return this.items.length - this.head
  }

  get bytes(): number {
    return this.byteCount
  }

  push(item: T): void {
    this.items.push(item)
    this.byteCount += this.sizeOf(item)
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined as unknown as T
    this.byteCount -= this.sizeOf(item)
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  clear(): void {
    this.items = []
    this.head = 0
    this.byteCount = 0
  }
}
