// A child process for sqlite-crash.test.ts: writes batches to the history file given as argv[2] and prints
// "acked N" after each write resolves, as the service would before acknowledging; it is killed with SIGKILL.
import { SqliteHistoryStore } from '../../../service/history/sqlite.js'

const store = new SqliteHistoryStore({ path: process.argv[2] })
const start = Date.UTC(2026, 0, 5)
for (let batch = 0; ; batch++) {
  const readings = Array.from({ length: 100 }, (_, i) => {
    const device = `d${i % 10}`
    return {
      deviceId: `crash/${device}`,
      site: 'crash',
      device,
      source: 'thermopost',
      time: start + (batch * 10 + Math.floor(i / 10)) * 1000,
      temperature: 20
    }
  })
  await store.write(readings)
  process.stdout.write(`acked ${(batch + 1) * readings.length}\n`)
  await new Promise((resolve) => setImmediate(resolve))
}
