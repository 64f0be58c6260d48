// Writes the golden store files next to this file's source (test/broker/store/golden/):
//   node dist/test/broker/store/golden/make-golden.js
// v<N>.db (N the current format version): a store with the content sqlite-files.test.ts checks; v<N>-corrupt.db:
// it with a page in the middle overwritten; not-a-database.db: text. Run it again only when adding a new format
// version: it writes the files of that version beside the old ones, and never over a file that is there.
// v1.db was written by format 1 (sessions without owners); from v2.db on, sessions have owners; from v3.db on, the
// queue is one log keyed by seq alone, with a head per queue (filler's first row is delivered); from v4.db on, panel's
// QoS 1 message in flight is a queue row with its packet id rather than an in-flight row; from v5.db on, a queue row holds
// its message inline when nothing else refers to it (panel's 9, 10 and 11, filler's), and 12, retained too, stays in messages.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Message } from '../../../../broker/message.js'
import { SCHEMA_VERSION } from '../../../../broker/store/sqlite-schema.js'
import { SqliteStore } from '../../../../broker/store/sqlite.js'

const golden = fileURLToPath(new URL('../../../../../test/broker/store/golden/', import.meta.url))

function message (id: number, topic: string, payload: string, extra: Partial<Message> = {}): Message {
  return {
    id, topic, payload: Buffer.from(payload), qos: 1, retain: false, properties: undefined,
    expiresAt: 0, receivedAt: 1_700_000_000_000 + id, origin: 'sensor-1', forms: undefined, ...extra
  }
}

const dir = mkdtempSync(join(tmpdir(), 'thermopost-golden-'))
const store = new SqliteStore({ dataDir: dir })
await store.open()
store.saveSession({ clientId: 'sensor-1', protocolVersion: 5, expiryInterval: 3600, disconnectedAt: 1_700_000_000_000, owner: { username: 'sensor-user' } })
store.saveSubscription('sensor-1', { fullFilter: 'home/+/temp', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0, subscriptionId: 3 })
store.saveSubscription('sensor-1', { fullFilter: '$share/g/alerts/#', qos: 2, noLocal: false, retainAsPublished: true, retainHandling: 2, subscriptionId: undefined })
store.saveSession({ clientId: 'panel', protocolVersion: 4, expiryInterval: 0xffffffff, disconnectedAt: 1_700_000_100_000, owner: { username: undefined } })
store.saveInflight('panel', { packetId: 1, state: 'publish', delivery: { message: message(9, 'home/hall/temp', '19.0'), qos: 1, retain: false, subscriptionIds: undefined } })
store.saveInflight('panel', { packetId: 2, state: 'pubrel', delivery: { message: message(8, 'home/hall/temp', '18.5', { qos: 2 }), qos: 2, retain: false, subscriptionIds: undefined } })
store.saveIncomingQos2('panel', 42)
const latest = message(12, 'home/kitchen/temp', '22.0', {
  retain: true, expiresAt: 1_900_000_000_000,
  properties: { contentType: 'text/plain', correlationData: Buffer.from([1, 2, 3]), userProperties: { unit: 'C' } }
})
const queue = store.queue('panel')
for (const m of [message(10, 'home/kitchen/temp', '21.5'), message(11, 'home/kitchen/temp', '21.7'), latest]) {
  queue.push({ message: m, qos: 1, retain: false, subscriptionIds: [3] })
}
store.saveRetained(latest)
store.saveRetained(message(20, 'gone', 'x'))
store.deleteRetained('gone')
// Enough rows that the file has pages in the middle worth damaging.
store.saveSession({ clientId: 'filler', protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1_700_000_000_000, owner: 'unknown' })
for (let id = 13; id <= 19; id++) store.queue('filler').push({ message: message(id, 'filler', 'f'.repeat(3000)), qos: 0, retain: false, subscriptionIds: undefined })
// From v3 on: one of them delivered after its commit, so the file keeps filler's queue head.
await store.flush()
store.queue('filler').shift()
await store.close() // the last connection to close checkpoints the WAL into the file and removes it
const file = join(dir, 'broker.db')
if (existsSync(`${file}-wal`)) throw new Error('the WAL was not checkpointed')
const bytes = readFileSync(file)
const middle = Math.floor(bytes.length / 4096 / 2) * 4096
const corrupt = Buffer.from(bytes).fill(0x5a, middle, middle + 4096)
const outputs: Array<[string, Buffer | string]> = [
  [`v${SCHEMA_VERSION}.db`, bytes],
  [`v${SCHEMA_VERSION}-corrupt.db`, corrupt],
  ['not-a-database.db', 'thermopost broker state\nthis is a text file, not a database\n']
]
for (const [name, content] of outputs) {
  const path = join(golden, name)
  if (existsSync(path)) {
    console.log(`kept ${path}: it is there already`)
    continue
  }
  writeFileSync(path, content)
  console.log(`wrote ${path} (${content.length} bytes${name.includes('corrupt') ? `, page at ${middle} overwritten` : ''})`)
}
rmSync(dir, { recursive: true, force: true })
