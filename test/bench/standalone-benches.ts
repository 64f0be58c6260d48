import { renderApiQueryBench, runApiQueryBench } from './api-query-bench.js'
import { renderBridgeBench, runBridgeBench } from './bridge-bench.js'
import { renderClusterCapacityBench, runClusterCapacityBench } from './cluster-capacity-bench.js'
import { renderClusterCrossNodeBench, runClusterCrossNodeBench } from './cluster-crossnode-bench.js'
import { renderDashboardRenderBench, runDashboardRenderBench } from './dashboard-render-bench.js'
import { renderFailoverBench, runFailoverBench } from './failover-bench.js'
import { renderHistoryBench, runHistoryBench } from './history-bench.js'
import { renderRouterChurnBench, runRouterChurnBench } from './router-churn-bench.js'

export type StandaloneName =
  | 'history-write'
  | 'api-query'
  | 'dashboard-render'
  | 'router-churn'
  | 'cluster-crossnode'
  | 'cluster-capacity'
  | 'failover'
  | 'bridge'

/** What one standalone bench measured. */
export interface StandaloneResult {
  /** Its table(s), for the report. */
  markdown: string
  /** Its figures as measured, for --json. */
  figures: unknown
  /** Anything that makes the figures suspect; a healthy run has none. */
  problems: string[]
}

/**
 * A measurement of one of our own parts (the service's, the dashboard's, the broker's router), with no other broker to
 * compare: it runs once, in this process (a browser of its own for the dashboard), after the broker rounds, and takes
 * its own medians.
 */
export interface StandaloneBench {
  name: StandaloneName
  run(): Promise<StandaloneResult>
}

export const STANDALONE_BENCHES: readonly StandaloneBench[] = [
  {
    name: 'history-write',
    async run() {
      const figures = await runHistoryBench()
      return { markdown: renderHistoryBench(figures), figures, problems: [] }
    }
  },
  {
    name: 'api-query',
    async run() {
      const figures = await runApiQueryBench()
      return { markdown: renderApiQueryBench(figures), figures, problems: [] }
    }
  },
  {
    name: 'dashboard-render',
    async run() {
      const figures = await runDashboardRenderBench()
      return { markdown: renderDashboardRenderBench(figures), figures, problems: figures.problems }
    }
  },
  {
    name: 'router-churn',
    async run() {
      const figures = await runRouterChurnBench()
      return { markdown: renderRouterChurnBench(figures), figures, problems: [] }
    }
  },
  {
    name: 'cluster-crossnode',
    async run() {
      const figures = await runClusterCrossNodeBench()
      return { markdown: renderClusterCrossNodeBench(figures), figures, problems: figures.flatMap((figure) => figure.problems) }
    }
  },
  {
    name: 'cluster-capacity',
    async run() {
      const figures = await runClusterCapacityBench()
      return { markdown: renderClusterCapacityBench(figures), figures, problems: [] }
    }
  },
  {
    name: 'failover',
    async run() {
      const figures = await runFailoverBench()
      const problems =
        figures.lost + figures.duplicatesQos2 + figures.sessionsLost > 0
          ? [`${figures.lost} lost, ${figures.duplicatesQos2} QoS 2 duplicated, ${figures.sessionsLost} sessions lost`]
          : []
      return { markdown: renderFailoverBench(figures), figures, problems }
    }
  },
  {
    name: 'bridge',
    async run() {
      const figures = await runBridgeBench()
      const problems = figures.flatMap((figure) => figure.problems.map((problem) => `${figure.site}: ${problem}`))
      return { markdown: renderBridgeBench(figures), figures, problems }
    }
  }
]

/** The standalone bench of that name, or undefined when it names none. */
export function standaloneNamed(name: string): StandaloneBench | undefined {
  return STANDALONE_BENCHES.find((bench) => bench.name === name)
}
