import assert from 'node:assert/strict'
import { once } from 'node:events'
import { join } from 'node:path'
import { test } from 'node:test'
import { UsageError } from '../../common/command-errors.js'
import { decodeReading } from '../../common/contract/reading-codec.js'
import { deviceTopic } from '../../common/contract/topics.js'
import { runAgentCommand } from '../../devices/agent-command.js'
import { startBroker } from '../helpers/broker.js'
import { thermopostBin } from '../helpers/crash-broker.js'
import { runProgram } from '../helpers/run-program.js'
import { spawnThermopost } from '../helpers/thermopost-process.js'
import { waitFor, watch } from './helpers/device-fixture.js'
import { fakeSysfs, oneOfEachKind } from './sensors/fake-sysfs.js'

/** `thermopost agent` as a program: what it says with no sensors or bad options, and a run from start to SIGTERM. */

test('with no sensors under the root it says what it looked for and exits 1', async (t) => {
  const root = fakeSysfs(t, { files: { 'sys/class/thermal/cooling_device0/type': 'Processor' } })
  const result = await runProgram(t, process.execPath, [thermopostBin, 'agent', '--sysfs-root', root, '--url', 'mqtt://127.0.0.1:1'])
  assert.equal(result.code, 1)
  assert.equal(result.stdout, '')
  assert.equal(
    result.stderr,
    [
      'thermopost: no temperature sensors found; looked for:',
      `  ${join(root, 'sys/class/thermal/thermal_zone*/temp')}: none`,
      `  ${join(root, 'sys/class/hwmon/hwmon*/temp*_input')}: none (no ${join(root, 'sys/class/hwmon')} directory)`,
      `  ${join(root, 'sys/bus/w1/devices/28-*/w1_slave')}: none (no ${join(root, 'sys/bus/w1/devices')} directory: are the w1-gpio and w1_therm modules loaded?)`,
      ''
    ].join('\n')
  )
})

test('bad options are usage errors naming the option', async () => {
  for (const [args, message] of [
    [['--interval', 'fast'], "--interval must be a time from 50ms to 86400s, like 10s, 500ms or 1m, not 'fast'"],
    [['--interval', '2d'], "--interval must be a time from 50ms to 86400s, like 10s, 500ms or 1m, not '2d'"],
    [['--interval', '10ms'], "--interval must be a time from 50ms to 86400s, like 10s, 500ms or 1m, not '10ms'"],
    [['--site', 'a/b'], "--site must be one topic level (no '/', '+' or '#'), not 'a/b'"],
    [['--ha-prefix', 'home/+'], "--ha-prefix must be topic levels without wildcards, like homeassistant, not 'home/+'"],
    [['--url', 'localhost:1883'], "--url must look like mqtt://HOST:PORT (or mqtts://, ws://, wss://), not 'localhost:1883'"],
    [['--mqtt-version', '4'], "--mqtt-version must be 5 or 3.1.1, not '4'"],
    [['--username', 'u'], '--username and --password (or THERMOPOST_MQTT_PASSWORD) go together']
  ] as const) {
    await assert.rejects(
      runAgentCommand([...args]),
      (error: Error) => error instanceof UsageError && error.message === message,
      args.join(' ')
    )
  }
})

test("a bad option exits 2 with the agent's usage", async (t) => {
  const result = await runProgram(t, process.execPath, [thermopostBin, 'agent', '--colour'])
  assert.equal(result.code, 2)
  assert.ok(result.stderr.startsWith("thermopost: Unknown option '--colour'"), result.stderr)
  assert.match(result.stderr, /Usage: thermopost agent/)
})

test("it publishes the fake tree's sensors until SIGTERM, then leaves them offline and exits 0", async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { inbox } = await watch(t, broker.url, ['thermopost/bench/+/reading', 'thermopost/bench/+/status'])
  const root = fakeSysfs(t, oneOfEachKind)
  const { child, output } = spawnThermopost(t, [
    'agent',
    '--sysfs-root',
    root,
    '--url',
    broker.url,
    '--site',
    'bench',
    '--interval',
    '100ms'
  ])

  const devices = ['thermal-zone0-x86_pkg_temp', 'hwmon-coretemp-coretemp.0-temp1', 'w1-28-0316a2795aff']
  const readings = (device: string) => inbox.all.filter((m) => m.topic === deviceTopic('bench', device, 'reading'))
  await waitFor(() => devices.every((device) => readings(device).length > 0), `a reading from each sensor; output: ${output()}`)
  assert.deepEqual(
    devices.map((device) => decodeReading(readings(device)[0]!.payload).temperature),
    [52, 45, -1.25]
  )
  assert.match(output(), /publishing 3 sensor\(s\) as thermopost\/bench\/<sensor>/)

  child.kill('SIGTERM')
  const [code] = (await once(child, 'close')) as [number | null]
  assert.equal(code, 0, output())
  const statuses = (device: string) =>
    inbox.all.filter((m) => m.topic === deviceTopic('bench', device, 'status')).map((m) => m.payload.toString())
  assert.deepEqual(
    devices.map((device) => statuses(device).at(-1)),
    ['offline', 'offline', 'offline']
  )
})
