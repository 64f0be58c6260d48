import assert from 'node:assert/strict'

export interface SseMessage {
  /** The `event:` name; 'comment' for a `: ...` line. */
  event: string
  data: string
}

/**
 * A Server-Sent Events stream read with fetch, as a browser's EventSource would: `next()` resolves with the
 * next message (or comment) in order. Closed with `close()`.
 */
export class SseClient {
  private buffer = ''
  private readonly queue: SseMessage[] = []
  private waiting: (() => void) | undefined
  private ended = false

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController
  ) {
    this.pump()
      .catch(() => {})
      .finally(() => {
        this.ended = true
        this.waiting?.()
      })
  }

  static async open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const controller = new AbortController()
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal })
    assert.equal(response.status, 200, `events answered ${response.status}`)
    return new SseClient(response, controller)
  }

  /** The next message, skipping comments unless `comments`; fails after `ms`. */
  async next({ comments = false, ms = 5000 } = {}): Promise<SseMessage> {
    const deadline = Date.now() + ms
    for (;;) {
      const message = this.queue.shift()
      if (message !== undefined) {
        if (message.event === 'comment' && !comments) continue
        return message
      }
      if (this.ended) throw new Error('the event stream ended')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no event within ${ms} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiting = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }

  close(): void {
    this.controller.abort()
  }

  private async pump(): Promise<void> {
    const decoder = new TextDecoder()
    for await (const chunk of this.response.body as unknown as AsyncIterable<Uint8Array>) {
      this.buffer += decoder.decode(chunk, { stream: true })
      for (let end = this.buffer.indexOf('\n\n'); end !== -1; end = this.buffer.indexOf('\n\n')) {
        const block = this.buffer.slice(0, end)
        this.buffer = this.buffer.slice(end + 2)
        for (const message of parseBlock(block)) this.queue.push(message)
      }
      this.waiting?.()
    }
  }
}

function parseBlock(block: string): SseMessage[] {
  const messages: SseMessage[] = []
  let event = 'message'
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) messages.push({ event: 'comment', data: line.slice(1).trim() })
    else if (line.startsWith('event: ')) event = line.slice(7)
    else if (line.startsWith('data: ')) data.push(line.slice(6))
  }
  if (data.length > 0) messages.push({ event, data: data.join('\n') })
  return messages
}
