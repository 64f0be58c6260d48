import { FailoverScenario } from '../broker/cluster/failover-cycle.js'
import { median } from './stats.js'

/**
 * Failover of a cluster node (issue 16): 20 SIGKILLs of the node holding a persistent QoS 2 subscriber while a
 * publisher on another node keeps QoS 1 / QoS 2 messages coming (test/broker/cluster/failover-cycle.ts says how).
 * Reports the time from each kill until the subscriber had its session back on another node, and what was lost
 * or duplicated over the whole run.
 */
export interface FailoverFigures {
  kills: number
  backMsMedian: number
  backMsMax: number
  acknowledged: number
  /** Kills after which the subscriber found no session (Session Present 0). */
  sessionsLost: number
  lost: number
  duplicatesQos2: number
  duplicatesQos1: number
}

const KILLS = 20

export async function runFailoverBench(): Promise<FailoverFigures> {
  const scenario = await FailoverScenario.create(20261203)
  try {
    for (let cycle = 1; cycle <= KILLS; cycle++) await scenario.runCycle(cycle)
  } finally {
    await scenario.close()
  }
  const { cycles } = scenario
  const last = cycles.at(-1)!
  const backs = cycles.map((cycle) => cycle.backMs)
  return {
    kills: cycles.length,
    backMsMedian: median(backs) ?? 0,
    backMsMax: Math.max(...backs),
    acknowledged: cycles.reduce((sum, cycle) => sum + cycle.acknowledged, 0),
    sessionsLost: cycles.filter((cycle) => cycle.sessionLost).length,
    lost: last.lost.length,
    duplicatesQos2: last.duplicatesQos2.length,
    duplicatesQos1: last.duplicatesQos1
  }
}

export function renderFailoverBench(figures: FailoverFigures): string {
  return [
    `Failover: ${figures.kills} SIGKILLs of the node holding a persistent QoS 2 subscriber (3 nodes, one Redis with appendfsync always)`,
    '',
    '| session back on another node, median | worst | sessions lost | acknowledged | lost | QoS 2 delivered twice | QoS 1 delivered twice |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| ${figures.backMsMedian} ms | ${figures.backMsMax} ms | ${figures.sessionsLost} | ${figures.acknowledged} | ${figures.lost} | ${figures.duplicatesQos2} | ${figures.duplicatesQos1} |`
  ].join('\n')
}
