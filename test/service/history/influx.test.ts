import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { historyConformance } from '../../../service/history/conformance.js'
import { InfluxHistoryStore } from '../../../service/history/influx.js'
import { InfluxQl } from '../../../service/history/influx-ql.js'
import { type RunningInfluxd, startInfluxd } from '../../helpers/influxd.js'

let influxd: RunningInfluxd
let databases = 0

before(async () => {
  influxd = await startInfluxd()
  console.log(`influxd answered /ping ${influxd.startupMs.toFixed(0)} ms after spawn`)
})
after(() => influxd.stop())

/** A store on a database of its own: every test starts empty on the one influxd of this file. */
async function freshStore(now?: () => number): Promise<{ store: InfluxHistoryStore; database: string }> {
  const database = `history_${++databases}`
  const store = await InfluxHistoryStore.open({ connection: { host: influxd.host, port: influxd.port }, database, now })
  return { store, database }
}

historyConformance({ test, makeStore: async () => (await freshStore()).store })

const MINUTE = 60_000
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000
const reading = (time: number, temperature: number, extra: object = {}) => ({
  deviceId: 'home/hall',
  site: 'home',
  device: 'hall',
  source: 'thermopost',
  time,
  temperature,
  ...extra
})

test('retention policies: raw is the default, 30 days; 1-minute rollups a year; hourly ones forever', async (t) => {
  const { store, database } = await freshStore()
  t.after(() => store.close())
  const ql = new InfluxQl({ host: influxd.host, port: influxd.port }, database)
  const [[policies]] = await ql.read(`SHOW RETENTION POLICIES ON "${database}"`)
  const byName = new Map(policies.values.map((row) => [row[0], { duration: row[1], isDefault: row[4] }]))
  assert.deepEqual(byName.get('thermopost_raw'), { duration: '720h0m0s', isDefault: true })
  assert.deepEqual(byName.get('thermopost_1m'), { duration: '8784h0m0s', isDefault: false })
  assert.deepEqual(byName.get('thermopost_1h'), { duration: '0s', isDefault: false })
})

test('Grafana reads the layout as it is: tags, typed fields, the default policy and the rollup policies', async (t) => {
  const { store, database } = await freshStore()
  t.after(() => store.close())
  await store.write([
    reading(T0, 20.5, { setpoint: 21, heating: true, humidity: 40 }),
    reading(T0 + 20_000, 21.5, { setpoint: 21, heating: false, humidity: 41 }),
    reading(T0 + MINUTE, 22)
  ])
  const ql = new InfluxQl({ host: influxd.host, port: influxd.port }, database)
  const [[tags], [fields], [byMinute], [rollup]] = await ql.read(
    'SHOW TAG KEYS FROM "temperature"',
    'SHOW FIELD KEYS FROM "temperature"',
    `SELECT mean("temperature") FROM "temperature" WHERE "device_id" = 'home/hall' AND time >= ${T0}ms AND time < ${T0 + 2 * MINUTE}ms GROUP BY time(1m), "site", "device"`,
    `SELECT "min", "mean", "max", "count", "setpoint" FROM "thermopost_1m"."temperature_1m" WHERE "site" = 'home' AND "device" = 'hall'`
  )
  assert.deepEqual(
    tags.values.map(([key]) => key),
    ['device', 'device_id', 'site', 'source']
  )
  assert.deepEqual(Object.fromEntries(fields.values), { heating: 'boolean', humidity: 'float', setpoint: 'float', temperature: 'float' })
  assert.deepEqual(byMinute.tags, { site: 'home', device: 'hall' })
  assert.deepEqual(byMinute.values, [
    [T0, 21],
    [T0 + MINUTE, 22]
  ])
  assert.deepEqual(rollup.values, [
    [T0, 20.5, 21, 21.5, 2, 21],
    [T0 + MINUTE, 22, 22, 22, 1, null]
  ])
})

test('only closed minutes are rolled up; the open one is read from raw readings until it closes', async (t) => {
  let clock = T0 + 30_000
  const { store, database } = await freshStore(() => clock)
  t.after(() => store.close())
  await store.write([reading(T0, 20), reading(T0 + 10_000, 22)])
  const ql = new InfluxQl({ host: influxd.host, port: influxd.port }, database)
  const rolledUp = async (): Promise<unknown[][]> =>
    (await ql.read('SELECT "count", "mean" FROM "thermopost_1m"."temperature_1m"'))[0][0]?.values ?? []
  assert.deepEqual(await rolledUp(), [])
  const open = await store.query({ deviceId: 'home/hall', from: T0, to: T0 + MINUTE, resolution: '1m' })
  assert.deepEqual(open.points, [{ time: T0, min: 20, mean: 21, max: 22, count: 2 }])
  clock = T0 + MINUTE + 1000
  await store.write([reading(T0 + MINUTE, 30)])
  assert.deepEqual(await rolledUp(), [[T0, 2, 21]])
})

test('a store opened again rolls up what closed while it was away', async (t) => {
  let clock = T0 + 30_000
  const { store, database } = await freshStore(() => clock)
  await store.write([reading(T0, 20), reading(T0 + 10_000, 24)])
  await store.close()
  clock = T0 + 3 * MINUTE
  const again = await InfluxHistoryStore.open({ connection: { host: influxd.host, port: influxd.port }, database, now: () => clock })
  t.after(() => again.close())
  const ql = new InfluxQl({ host: influxd.host, port: influxd.port }, database)
  const [[rollup]] = await ql.read('SELECT "count", "mean" FROM "thermopost_1m"."temperature_1m"')
  assert.deepEqual(rollup.values, [[T0, 2, 22]])
})
