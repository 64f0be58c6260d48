import { join } from 'node:path'
import { makeSensor, SensorReadError, type SensorSearch } from './sensor.js'
import { listSysfsDir, readSysfsFile } from './sysfs-file.js'

/**
 * DS18B20 1-wire probes (family code 28) through the kernel's w1_therm driver. Reading
 * /sys/bus/w1/devices/28-XXXXXXXXXXXX/w1_slave starts a conversion (up to 750 ms) and gives two lines:
 *
 *   72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
 *   72 01 4b 46 7f ff 0e 10 57 t=23125
 *
 * the nine scratchpad bytes with the driver's CRC verdict, then the temperature in millidegrees.
 * The ROM id in the directory name is burnt into the probe, so it is the sensor's id.
 */

/** Attempts per reading: a CRC failure on a long or noisy bus is usually gone on the next conversion. */
const attempts = 3

/** 0x0550, the temperature register's power-on value: 85 °C. */
const resetMillidegrees = 85000
/** Scratchpad byte 6 reads 0x0C at power-on; a finished conversion leaves 0x10 - (LSB & 0x0F) there. */
const resetByte6 = 0x0c
/** 0x07FF (127.94 °C): what a conversion without enough power (parasite mode, a weak pull-up) leaves. */
const noPowerMillidegrees = 127937

export async function findW1Probes(sysfsRoot = '/'): Promise<SensorSearch> {
  const devicesDir = join(sysfsRoot, 'sys/bus/w1/devices')
  const search: SensorSearch = { kind: 'w1', pattern: join(devicesDir, '28-*/w1_slave'), sensors: [] }
  const entries = await listSysfsDir(devicesDir)
  if (entries === undefined) return { ...search, note: `no ${devicesDir} directory: are the w1-gpio and w1_therm modules loaded?` }
  for (const rom of entries) {
    if (!rom.startsWith('28-')) continue
    const dir = join(devicesDir, rom)
    if (!(await listSysfsDir(dir))?.includes('w1_slave')) continue
    const source = join(dir, 'w1_slave')
    search.sensors.push(
      makeSensor({
        id: `w1-${rom.toLowerCase()}`,
        label: `DS18B20 ${rom}`,
        kind: 'w1',
        model: 'w1/DS18B20',
        source,
        readOnce: async () => parseW1Slave(await readSysfsFile(source), source),
        attempts
      })
    )
  }
  return search
}

/**
 * The temperature in °C from w1_slave's text, or a SensorReadError when it is not a reading:
 * - the CRC line says NO (a corrupted transfer);
 * - an all-zero scratchpad: a probe that stopped answering reads as zeros, whose CRC is 0 and passes;
 * - 85 °C with scratchpad byte 6 at its reset value 0x0C: the probe lost power or the conversion did not
 *   run, and the register still holds its power-on value. A genuine 85.000 °C reading leaves 0x10 in
 *   byte 6 and is kept (the kernel's own w1_therm check, `features` bit 1, uses the same sign). Without
 *   the bytes to tell, 85.000 is refused: a lost reading costs less than a false alarm;
 * - 127.937 °C (0x07FF): the conversion ran without enough power.
 */
export function parseW1Slave(text: string, path: string): number {
  const [crcLine = '', valueLine = ''] = text.split('\n')
  const crc = /crc=([0-9a-f]{2}) (YES|NO)$/i.exec(crcLine.trim())
  const value = /t=(-?\d+)$/.exec(valueLine.trim())
  if (crc === null || value === null) throw new SensorReadError(`${path}: not a w1_therm reading: '${text.trim()}'`)
  if (crc[2]!.toUpperCase() !== 'YES') throw new SensorReadError(`${path}: CRC check failed (crc=${crc[1]} NO)`)
  const bytes = [...(crcLine.split(':')[0] ?? '').matchAll(/\b[0-9a-f]{2}\b/gi)].map((match) => parseInt(match[0], 16))
  if (bytes.length > 0 && bytes.every((byte) => byte === 0))
    throw new SensorReadError(`${path}: all-zero scratchpad: the probe is not answering`)
  const millidegrees = Number(value[1])
  if (millidegrees === resetMillidegrees && (bytes.length < 9 || bytes[6] === resetByte6)) {
    throw new SensorReadError(`${path}: 85 °C power-on reset value: the probe was reset or did not convert (check its power and wiring)`)
  }
  if (millidegrees === noPowerMillidegrees)
    throw new SensorReadError(`${path}: 127.94 °C: the conversion ran without enough power (parasite power?)`)
  return millidegrees / 1000
}
