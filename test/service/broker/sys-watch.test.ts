import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SysWatch } from '../../../service/broker/sys-watch.js'

/** The dashboard's "messages in / out" are PUBLISH rates: from `publish/messages/*`, not `messages/*` (every packet). */
test('message rates come from publish/messages/received and sent; messages/* (packets of every type) are not used', () => {
  let now = 0
  const watch = new SysWatch({ emit: () => {}, now: () => now })
  const figures = (received: number, sent: number, packets: number): void => {
    watch.handle('$SYS/broker/publish/messages/received', Buffer.from(String(received)))
    watch.handle('$SYS/broker/publish/messages/sent', Buffer.from(String(sent)))
    watch.handle('$SYS/broker/messages/received', Buffer.from(String(packets)))
    watch.handle('$SYS/broker/messages/sent', Buffer.from(String(packets)))
  }
  figures(100, 300, 10_000)
  now = 10_000
  figures(150, 400, 90_000)
  const status = watch.status()
  assert.equal(status.messagesReceivedPerSecond, 5)
  assert.equal(status.messagesSentPerSecond, 10)
  watch.close()
})
