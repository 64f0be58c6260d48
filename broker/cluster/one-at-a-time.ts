/**
 * Runs async work keyed by a name (a client id) one piece after another: each starts once the one before it for the
 * same key has settled, fulfilled or not. Keys with nothing running take no memory.
 */
export class OneAtATime {
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key)
    const result = before === undefined ? work() : before.then(work, work)
    const tail = result.catch(() => {})
    this.tails.set(key, tail)
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return result
  }
}
