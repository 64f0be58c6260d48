import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { TestContext } from 'node:test'

/**
 * Fake sysfs trees in temporary directories, laid out as the kernel lays out the real one: class
 * directories of symlinks into /sys/devices, attribute files ending in a newline.
 */
export interface FakeTree {
  /** Path under the root → content; a newline is added, as sysfs does. */
  files?: Record<string, string>
  /** Path under the root → symlink target, relative as in /sys. */
  links?: Record<string, string>
}

/** Builds the tree under a fresh temporary root, removed after the test; returns the root. */
export function fakeSysfs(t: TestContext, tree: FakeTree): string {
  const root = mkdtempSync(join(tmpdir(), 'thermopost-sysfs-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  for (const [path, content] of Object.entries(tree.files ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), `${content}\n`)
  }
  for (const [path, target] of Object.entries(tree.links ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    symlinkSync(target, join(root, path))
  }
  return root
}

/** A w1_slave file's two lines: scratchpad bytes, the driver's CRC verdict, the millidegrees. */
export function w1Slave(bytes: string, crc: string, verdict: 'YES' | 'NO', millidegrees: number): string {
  return `${bytes} : crc=${crc} ${verdict}\n${bytes} t=${millidegrees}`
}

const zone0 = 'sys/devices/virtual/thermal/thermal_zone0'
const coretemp = 'sys/devices/platform/coretemp.0/hwmon/hwmon2'
const probe = 'sys/devices/w1_bus_master1/28-0316a2795aff'

/**
 * A small machine with one sensor of each kind: a thermal zone, a coretemp chip with a labelled
 * channel, a DS18B20 probe reading below zero.
 */
export const oneOfEachKind: FakeTree = {
  files: {
    [`${zone0}/type`]: 'x86_pkg_temp',
    [`${zone0}/temp`]: '52000',
    [`${coretemp}/name`]: 'coretemp',
    [`${coretemp}/temp1_input`]: '45000',
    [`${coretemp}/temp1_label`]: 'Package id 0',
    [`${probe}/w1_slave`]: w1Slave('ec ff 4b 46 7f ff 04 10 8f', '8f', 'YES', -1250)
  },
  links: {
    'sys/class/thermal/thermal_zone0': '../../devices/virtual/thermal/thermal_zone0',
    'sys/class/hwmon/hwmon2': '../../devices/platform/coretemp.0/hwmon/hwmon2',
    [`${coretemp}/device`]: '../../../coretemp.0',
    'sys/bus/w1/devices/28-0316a2795aff': '../../../devices/w1_bus_master1/28-0316a2795aff'
  }
}
