import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { SensorReadError } from '../../../devices/sensors/sensor.js'
import { findW1Probes, parseW1Slave } from '../../../devices/sensors/w1-therm.js'
import { fakeSysfs, w1Slave } from './fake-sysfs.js'

const good = w1Slave('72 01 4b 46 7f ff 0e 10 57', '57', 'YES', 23125)

test('DS18B20 probes: found by family code 28 through the bus symlinks, read with a good CRC', async (t) => {
  const root = fakeSysfs(t, {
    files: {
      'sys/devices/w1_bus_master1/28-0316a2795aff/w1_slave': good,
      'sys/devices/w1_bus_master1/28-0000075d3c4b/w1_slave': w1Slave('ec ff 4b 46 7f ff 04 10 8f', '8f', 'YES', -1250),
      // A DS2413 switch (family 3a) on the same bus is not a thermometer.
      'sys/devices/w1_bus_master1/3a-00000011ab2c/state': 'x',
      'sys/devices/w1_bus_master1/w1_master_slave_count': '3'
    },
    links: {
      'sys/bus/w1/devices/28-0316a2795aff': '../../../devices/w1_bus_master1/28-0316a2795aff',
      'sys/bus/w1/devices/28-0000075d3c4b': '../../../devices/w1_bus_master1/28-0000075d3c4b',
      'sys/bus/w1/devices/3a-00000011ab2c': '../../../devices/w1_bus_master1/3a-00000011ab2c',
      'sys/bus/w1/devices/w1_bus_master1': '../../../devices/w1_bus_master1'
    }
  })
  const search = await findW1Probes(root)
  assert.equal(search.pattern, join(root, 'sys/bus/w1/devices/28-*/w1_slave'))
  assert.deepEqual(
    search.sensors.map((s) => [s.id, s.label, s.kind, s.model]),
    [
      ['w1-28-0000075d3c4b', 'DS18B20 28-0000075d3c4b', 'w1', 'w1/DS18B20'],
      ['w1-28-0316a2795aff', 'DS18B20 28-0316a2795aff', 'w1', 'w1/DS18B20']
    ]
  )
  assert.deepEqual(await Promise.all(search.sensors.map((s) => s.read())), [-1.25, 23.125])
  assert.deepEqual(
    search.sensors.map((s) => s.failures),
    [0, 0]
  )
})

test('a bad CRC is never a reading: retried, counted, then refused', async (t) => {
  const root = fakeSysfs(t, {
    files: { 'sys/bus/w1/devices/28-0316a2795aff/w1_slave': w1Slave('72 01 4b 46 7f ff 0e 10 57', 'ff', 'NO', 23125) }
  })
  const [probe] = (await findW1Probes(root)).sensors
  await assert.rejects(
    probe!.read(),
    (error: Error) => error instanceof SensorReadError && /CRC check failed \(crc=ff NO\)/.test(error.message)
  )
  assert.equal(probe!.failures, 3, 'three attempts, three failures')
})

test('85 °C with the power-on scratchpad is refused; a genuine 85 °C conversion is kept', () => {
  assert.throws(() => parseW1Slave(w1Slave('50 05 4b 46 7f ff 0c 10 1c', '1c', 'YES', 85000), 'w1_slave'), /85 °C power-on reset value/)
  assert.equal(parseW1Slave(w1Slave('50 05 4b 46 7f ff 10 10 21', '21', 'YES', 85000), 'w1_slave'), 85)
  assert.throws(() => parseW1Slave('crc=1c YES\nt=85000', 'w1_slave'), /85 °C power-on reset value/, 'without the bytes, 85 °C is refused')
})

test('other failed conversions and garbage are refused with the reason', () => {
  assert.throws(() => parseW1Slave(w1Slave('00 00 00 00 00 00 00 00 00', '00', 'YES', 0), 'w1_slave'), /all-zero scratchpad/)
  assert.throws(() => parseW1Slave(w1Slave('ff 07 4b 46 7f ff 01 10 2d', '2d', 'YES', 127937), 'w1_slave'), /without enough power/)
  assert.throws(() => parseW1Slave('', 'w1_slave'), /w1_slave: not a w1_therm reading/)
  assert.equal(parseW1Slave(w1Slave('91 01 4b 46 7f ff 0f 10 25', '25', 'YES', 25062), 'w1_slave'), 25.062)
})

test('no w1 bus: nothing found, and the note names the modules', async (t) => {
  const root = fakeSysfs(t, {})
  const search = await findW1Probes(root)
  assert.deepEqual(search.sensors, [])
  assert.match(search.note ?? '', /w1-gpio and w1_therm modules/)
})
