import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { SqliteHistoryStore } from '../../service/history/sqlite.js'
import type { HistorySynchronous } from '../../service/history/sqlite-schema.js'
import type { Reading } from '../../service/reading.js'
import { median } from './stats.js'

export interface WriteFigure {
  scenario: string
  synchronous: HistorySynchronous
  batchSize: number
  readings: number
  readingsPerSecond: number
}

export interface HistoryBenchFigures {
  writes: WriteFigure[]
  /** A week of 1-minute rollups for one device (10 080 points), `resolution: '1m'`. */
  weekOf1m: { points: number; runs: number; medianMs: number; maxMs: number }
}

const DEVICES = 1000
const INTERVAL = 10_000
const START = Date.UTC(2026, 0, 5)

function reading(device: number, time: number): Reading {
  const name = `d${device}`
  return {
    deviceId: `bench/${name}`,
    site: 'bench',
    device: name,
    source: 'thermopost',
    time,
    temperature: 20 + ((device + time / INTERVAL) % 50) / 10,
    setpoint: 21
  }
}

/**
 * The SQLite write path alone: `rounds` rounds of one reading from each of 1000 devices every 10 s, in batches
 * of `batchSize` as the ingest would flush them; the clock runs from the first write to the last one resolving.
 */
async function measureWrites(synchronous: HistorySynchronous, batchSize: number, rounds: number): Promise<WriteFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-history-bench-'))
  const store = new SqliteHistoryStore({ path: join(dir, 'history.db'), synchronous })
  try {
    const readings: Reading[] = []
    for (let round = 0; round < rounds; round++) {
      for (let device = 0; device < DEVICES; device++) readings.push(reading(device, START + round * INTERVAL))
    }
    await store.write(readings.slice(0, DEVICES)) // the devices table, filled as a running service has it
    const timed = readings.slice(DEVICES)
    const started = performance.now()
    for (let i = 0; i < timed.length; i += batchSize) await store.write(timed.slice(i, i + batchSize))
    const seconds = (performance.now() - started) / 1000
    return {
      scenario: `${DEVICES} devices, every 10 s`,
      synchronous,
      batchSize,
      readings: timed.length,
      readingsPerSecond: timed.length / seconds
    }
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** One device reporting every 10 s for a week, then its week read back at 1-minute resolution `runs` times. */
async function measureWeekQuery(runs: number): Promise<HistoryBenchFigures['weekOf1m']> {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-history-bench-'))
  const store = new SqliteHistoryStore({ path: join(dir, 'history.db') })
  try {
    const week = 7 * 24 * 3600_000
    const readings: Reading[] = []
    for (let time = START; time < START + week; time += INTERVAL) readings.push(reading(7, time))
    for (let i = 0; i < readings.length; i += 5000) await store.write(readings.slice(i, i + 5000))
    const times: number[] = []
    let points = 0
    for (let run = 0; run < runs; run++) {
      const started = performance.now()
      points = (await store.query({ deviceId: 'bench/d7', from: START, to: START + week, resolution: '1m' })).points.length
      times.push(performance.now() - started)
    }
    return { points, runs, medianMs: median(times)!, maxMs: Math.max(...times) }
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Each write scenario runs this many times, after one warm-up run, and reports the median. */
const REPEATS = 3

export async function runHistoryBench(): Promise<HistoryBenchFigures> {
  await measureWrites('normal', 1000, 50) // warm-up: the first scenario would otherwise also time the JIT
  const writes: WriteFigure[] = []
  for (const synchronous of ['full', 'normal'] as const) {
    for (const batchSize of [1000, 5000]) {
      const runs: WriteFigure[] = []
      for (let i = 0; i < REPEATS; i++) runs.push(await measureWrites(synchronous, batchSize, 200))
      const rate = median(runs.map((run) => run.readingsPerSecond))!
      writes.push(runs.find((run) => run.readingsPerSecond === rate) ?? { ...runs[0], readingsPerSecond: rate })
    }
  }
  return { writes, weekOf1m: await measureWeekQuery(15) }
}

export function renderHistoryBench(figures: HistoryBenchFigures): string {
  const lines = [
    `| SQLite history write path | synchronous | batch | readings | readings/s (median of ${REPEATS}) |`,
    '| --- | --- | --- | --- | --- |',
    ...figures.writes.map(
      (w) =>
        `| ${w.scenario} | ${w.synchronous} | ${w.batchSize} | ${w.readings} | ${Math.round(w.readingsPerSecond).toLocaleString('en')} |`
    ),
    '',
    '| query | points | runs | median ms | max ms |',
    '| --- | --- | --- | --- | --- |',
    `| a week of 1-minute data, one device | ${figures.weekOf1m.points} | ${figures.weekOf1m.runs} | ${figures.weekOf1m.medianMs.toFixed(2)} | ${figures.weekOf1m.maxMs.toFixed(2)} |`
  ]
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(renderHistoryBench(await runHistoryBench()))
