import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/broker.js'
import { thermopostBin } from '../helpers/crash-broker.js'
import { runProgram } from '../helpers/run-program.js'
import { tempDataDir } from './core/service-fixture.js'
import { startServiceProcess } from './core/service-process.js'

test('an instance that would split the readings with a running SQLite one refuses to start, saying what to do instead', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const running = await startServiceProcess(t, ['--url', broker.url, '--data-dir', tempDataDir(t)])
  const refused = (args: string[]) =>
    runProgram(t, process.execPath, [thermopostBin, 'service', '--http-port', '0', '--api-open', '--url', broker.url, ...args])

  // SQLite on another data directory, with another client id: its readings would go to another file.
  const elsewhere = await refused(['--data-dir', tempDataDir(t), '--client-id', 'service-2'])
  assert.equal(elsewhere.code, 1, elsewhere.stderr)
  assert.match(elsewhere.stderr, /another service instance is running on this broker: thermopost-service on .* \(pid \d+, SQLite history\)/)
  assert.match(elsewhere.stderr, /runs on the same --data-dir and --client-id, where it waits as a standby/)
  // The same client id from another data directory: the two would take the session from each other.
  const sameSession = await refused(['--data-dir', tempDataDir(t)])
  assert.equal(sameSession.code, 1, sameSession.stderr)
  assert.match(sameSession.stderr, /another service instance is running on this broker: thermopost-service/)
  // Active-active beside it: refused before it even opens its history.
  const influx = await refused(['--data-dir', tempDataDir(t), '--client-id', 'service-3', '--history', 'influx://127.0.0.1:9/thermopost'])
  assert.equal(influx.code, 1, influx.stderr)
  assert.match(
    influx.stderr,
    /an instance on the SQLite history keeps only the readings it gets; for several active instances give every one --history influx:/
  )

  assert.equal(await running.stop(), 0)
  // Stopped cleanly, it is no longer in the way.
  const next = await startServiceProcess(t, ['--url', broker.url, '--data-dir', tempDataDir(t), '--client-id', 'service-2'])
  assert.match(next.output(), /listening on/)
})
