/**
 * Bytes a node has appended to other members' streams that Redis has not yet taken, and the wait of the publishers
 * behind them. Past `highBytes` a publisher waits (PublishBackPressure) until the backlog is down to `lowBytes`.
 * Without it a QoS 0 flood to another node grew the sends without bound: the node's memory, and a commands connection
 * so backed up that the node's liveness renewal came too late and the node was taken for dead.
 */
export class AppendBacklog {
  private bytes = 0
  /** Resolved once the backlog is down to `lowBytes`: what held publishers wait for. */
  private cleared: { promise: Promise<void>; resolve: () => void } | undefined

  constructor(
    private readonly highBytes: number,
    private readonly lowBytes: number
  ) {}

  appended(bytes: number): void {
    this.bytes += bytes
  }

  /** Redis answered a send of `bytes` (taken, or failed: either way no longer waiting). */
  answered(bytes: number): void {
    this.bytes -= bytes
    if (this.cleared !== undefined && this.bytes <= this.lowBytes) {
      this.cleared.resolve()
      this.cleared = undefined
    }
  }

  /** What a publisher waits for before it sends more, once the backlog passed `highBytes`; undefined below that. */
  wait(): Promise<void> | undefined {
    if (this.cleared === undefined && this.bytes < this.highBytes) return undefined
    if (this.cleared === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((settle) => {
        resolve = settle
      })
      this.cleared = { promise, resolve }
    }
    return this.cleared.promise
  }
}
