import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CommandError, UsageError } from '../../common/command-errors.js'
import { decodeReading } from '../../common/contract/reading-codec.js'
import { deviceTopic } from '../../common/contract/topics.js'
import { runSimulateCommand } from '../../devices/simulate-command.js'
import { startBroker } from '../helpers/broker.js'
import { thermopostBin } from '../helpers/crash-broker.js'
import { runProgram } from '../helpers/run-program.js'
import { spawnThermopost } from '../helpers/thermopost-process.js'
import { waitFor, watch } from './helpers/device-fixture.js'

/** `thermopost simulate` as a user runs it: bad options, and a small fleet against a broker. */

const badOptions: Array<[string[], RegExp]> = [
  [['--devices', '0'], /--devices must be at least 1, not 0/],
  [['--devices', 'many'], /--devices must be a number, not 'many'/],
  [['--interval', 'soon'], /--interval must be a time/],
  [['--format', 'xml'], /--format must be one of json, compact, sparkplug, not 'xml'/],
  [['--mqtt-version', '4'], /--mqtt-version must be 5 or 3\.1\.1, not '4'/],
  [['--flaky', '1.5'], /--flaky must be at most 1, not 1.5/],
  [['--url', 'localhost:1883'], /--url must look like mqtt:\/\/HOST:PORT/],
  [['--format', 'compact', '--home-assistant'], /--home-assistant reads readings as JSON/],
  [['--format', 'sparkplug', '--home-assistant'], /--home-assistant reads readings as JSON/],
  [['--group', 'plant'], /--group is a Sparkplug setting: it needs format sparkplug/],
  [['--format', 'sparkplug', '--primary-host', 'a+b'], /--primary-host must be one topic level/],
  [['--format', 'sparkplug', '--group', 'a/b'], /--group must be one topic level/],
  [['--username', 'u'], /--username and --password \(or THERMOPOST_MQTT_PASSWORD\) go together/]
]

test('bad options are refused with a message naming the option, before anything connects', async () => {
  for (const [args, message] of badOptions)
    await assert.rejects(
      runSimulateCommand(args),
      (error: Error) => error instanceof UsageError && message.test(error.message),
      args.join(' ')
    )
})

test('the command line: a bad option exits 2 with the message and the usage', async (t) => {
  for (const [args, message] of [
    [['--devices', '0'], /--devices must be/],
    [['--colour', 'blue'], /Unknown option '--colour'/],
    [['--ha-prefix', 'home/#'], /--ha-prefix must be topic levels without wildcards, like homeassistant, not 'home\/#'/]
  ] as const) {
    const { code, stderr } = await runProgram(t, process.execPath, [thermopostBin, 'simulate', ...args])
    assert.equal(code, 2, args.join(' '))
    assert.match(stderr, message)
    assert.match(stderr, /Usage: thermopost simulate/)
  }
})

test('simulate --devices 3 --time-scale 60 produces readings from every device, and on SIGTERM they go offline and it exits 0', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const observer = await watch(t, broker.url, ['thermopost/+/+/reading', 'thermopost/+/+/status'])
  const { child, output } = spawnThermopost(t, [
    'simulate',
    '--url',
    broker.url,
    '--devices',
    '3',
    '--sites',
    '2',
    '--time-scale',
    '60',
    '--interval',
    '100ms',
    '--report',
    '200ms'
  ])

  const devices = ['site-1/room-00001', 'site-2/room-00002', 'site-1/room-00003']
  const readingsOf = (device: string) => observer.inbox.all.filter((m) => m.topic === `thermopost/${device}/reading`)
  await waitFor(() => devices.every((device) => readingsOf(device).length >= 3), 'three readings from each device')
  for (const device of devices) {
    const reading = decodeReading(readingsOf(device)[0]!.payload)
    assert.ok(reading.temperature > 10 && reading.temperature < 30, `${device}: ${reading.temperature} °C`)
    assert.equal(reading.mode, 'heat')
  }
  await waitFor(() => /connected 3\/3 {2}readings\/s \d+/.test(output()), 'a summary line')

  child.kill('SIGTERM')
  const [code] = (await once(child, 'close')) as [number | null]
  assert.equal(code, 0, output())
  const [site, device] = devices[0]!.split('/') as [string, string]
  const statuses = observer.inbox.all.filter((m) => m.topic === deviceTopic(site, device, 'status')).map((m) => m.payload.toString())
  assert.deepEqual(statuses, ['online', 'offline'])
  assert.match(output(), /SIGTERM: disconnecting 3 device/)
})

test("the simulator section of a config file: its keys, a flag over them, and a mistake at the file's line", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-simulate-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'thermopost.yaml')
  writeFileSync(file, 'broker: {}\nsimulator:\n  devices: 0\n  format: compact\n')
  await assert.rejects(
    runSimulateCommand(['--config', file, '--section', 'simulator']),
    (error: Error) => error instanceof CommandError && error.message === `${file}:3: simulator.devices: must be at least 1, not 0`
  )
  writeFileSync(file, 'simulator:\n  interval: soon\n')
  await assert.rejects(
    runSimulateCommand(['--config', file, '--section', 'simulator']),
    (error: Error) => error instanceof CommandError && error.message.startsWith(`${file}:2: simulator.interval: must be a time`)
  )
  // The flag wins: the file's bad interval is never checked, so the next mistake (report) is the one reported.
  writeFileSync(file, 'simulator:\n  interval: soon\n  report: never\n')
  await assert.rejects(
    runSimulateCommand(['--config', file, '--section', 'simulator', '--interval', '1s']),
    (error: Error) => error instanceof CommandError && error.message.startsWith(`${file}:3: simulator.report: must be a time`)
  )
})
