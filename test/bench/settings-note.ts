import { settingsBeyondDefaults } from './broker-settings.js'
import type { BrokerName } from './broker-variants.js'
import { brokersFor, type Scenario } from './scenarios.js'

/**
 * The lines the bench prints under its tables: what each broker ran with beyond its own defaults,
 * and which scenarios gave every broker limits of their own.
 */
export function settingsNote(scenarios: readonly Scenario[], selected: readonly BrokerName[]): string {
  const brokers = [...new Set(scenarios.flatMap((scenario) => brokersFor(scenario, selected)))]
  if (brokers.length === 0) return ''
  const lines = [
    'Each broker ran with its own defaults plus only a queue limit that never fills (a full queue drops messages); thermopost sets TCP_NODELAY on every socket and has no setting for it:',
    ...brokers.map((broker) => `- ${broker}: ${settingsBeyondDefaults(broker)}`)
  ]
  for (const scenario of scenarios.filter((candidate) => candidate.limits !== undefined)) {
    const own = brokersFor(scenario, selected).map((broker) => `${broker}: ${settingsBeyondDefaults(broker, scenario.limits)}`)
    if (own.length > 0) lines.push(`- ${scenario.name} gives every broker its own limits: ${own.join('; ')}`)
  }
  return lines.join('\n')
}
