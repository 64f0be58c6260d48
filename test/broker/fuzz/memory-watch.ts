import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { mb } from './megabytes.js'

/** The process's memory over a fuzz run: before, at its peak (sampled), and after. */
export interface MemoryFigures {
  rssBefore: number
  rssAfter: number
  rssPeak: number
  heapPeak: number
  heapBefore: number
  heapAfter: number
}

/** Measures the memory a run starts with, samples its peak until `stop`, and judges the growth at the end. */
export class MemoryWatch {
  private readonly sampler: NodeJS.Timeout

  constructor(private readonly figures: MemoryFigures) {
    figures.heapBefore = collectedHeap()
    figures.rssBefore = process.memoryUsage().rss
    this.sampler = setInterval(() => this.sample(), 250)
  }

  /** Measures after the run; the growth beyond what is allowed, as problems. */
  finish(maxHeapGrowthBytes: number, maxRssGrowthBytes: number): string[] {
    const { figures } = this
    const problems: string[] = []
    this.sample()
    figures.heapAfter = collectedHeap()
    figures.rssAfter = process.memoryUsage().rss
    if (figures.heapAfter - figures.heapBefore > maxHeapGrowthBytes) {
      problems.push(
        `the heap grew by ${mb(figures.heapAfter - figures.heapBefore)} (from ${mb(figures.heapBefore)} to ${mb(figures.heapAfter)} after a full GC), more than ${mb(maxHeapGrowthBytes)}`
      )
    }
    if (figures.rssAfter - figures.rssBefore > maxRssGrowthBytes) {
      problems.push(
        `resident memory grew by ${mb(figures.rssAfter - figures.rssBefore)} (from ${mb(figures.rssBefore)} to ${mb(figures.rssAfter)}), more than ${mb(maxRssGrowthBytes)}`
      )
    }
    return problems
  }

  stop(): void {
    clearInterval(this.sampler)
  }

  private sample(): void {
    const { rss, heapUsed } = process.memoryUsage()
    this.figures.rssPeak = Math.max(this.figures.rssPeak, rss)
    this.figures.heapPeak = Math.max(this.figures.heapPeak, heapUsed)
  }
}

/** Heap in use after a full garbage collection (gc is exposed here, as the test runner does not pass --expose-gc). */
function collectedHeap(): number {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  gc()
  return process.memoryUsage().heapUsed
}
