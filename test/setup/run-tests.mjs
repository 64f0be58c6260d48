// `npm test`: installs the real programs the tests talk to when they are missing (Debian packages),
// then runs every compiled test file with Node's own test runner.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const debianPackages = [
  { binary: 'mosquitto_pub', pkg: 'mosquitto-clients' }
]

function hasBinary (name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

function installMissing () {
  const missing = debianPackages.filter(({ binary }) => !hasBinary(binary)).map(({ pkg }) => pkg)
  if (missing.length === 0) return
  console.log(`# installing Debian packages: ${missing.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo']
  for (const args of [['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', ...missing]]) {
    const run = spawnSync(asRoot.length ? 'sudo' : args[0], asRoot.length ? args : args.slice(1), { stdio: 'inherit', env })
    if (run.status !== 0) throw new Error(`${args.join(' ')} failed (exit ${run.status})`)
  }
}

function testFiles (dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'bench' ? [] : testFiles(path)
    return name.endsWith('.test.js') ? [path] : []
  }).sort()
}

installMissing()
const files = testFiles('dist/test')
const filter = process.argv.slice(2)
const selected = filter.length ? files.filter((f) => filter.some((part) => f.includes(part))) : files
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...selected], { stdio: 'inherit' })
process.exit(run.status ?? 1)
