// Installs the Debian packages that tests and benchmarks talk to, when their programs are missing.
// Usable as a module (ensureDebianPackages) or from the command line: node debian-packages.mjs mosquitto ...
import { spawnSync } from 'node:child_process'
import { pathToFileURL } from 'node:url'

/** Package → a program it installs, to tell whether it is there (unless `installedCheckOf` has a check). */
const programOf = {
  'mosquitto-clients': 'mosquitto_pub',
  mosquitto: '/usr/sbin/mosquitto',
  sqlite3: 'sqlite3',
  influxdb: '/usr/bin/influxd',
  chromium: '/usr/bin/chromium',
  haproxy: '/usr/sbin/haproxy'
}

/** Package → how to tell it is there, for packages that install a library rather than a program. */
const installedCheckOf = {
  // A module of Debian's own Python: the python3 first on PATH may be another one that lacks it.
  'python3-paho-mqtt': () => spawnSync('/usr/bin/python3', ['-c', 'import paho.mqtt.client'], { stdio: 'ignore' }).status === 0
}

function hasProgram(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0
}

function isInstalled(pkg) {
  return installedCheckOf[pkg]?.() ?? hasProgram(programOf[pkg] ?? pkg)
}

export function ensureDebianPackages(packages) {
  const missing = packages.filter((pkg) => !isInstalled(pkg))
  if (missing.length === 0) return
  console.log(`# installing Debian packages: ${missing.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const sudo = process.getuid?.() === 0 ? [] : ['sudo']
  for (const args of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing]
  ]) {
    const command = [...sudo, ...args]
    const run = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env })
    if (run.status !== 0) throw new Error(`${args.join(' ')} failed (exit ${run.status})`)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) ensureDebianPackages(process.argv.slice(2))
