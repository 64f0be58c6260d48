import { Document, isMap, isScalar, isSeq, type Node } from 'yaml'
import { pathText } from '../../../common/config/config-problem.js'
import type { BrokerConfig } from '../broker-config-schema.js'
import type { ConvertedConf } from './convert-mosquitto-conf.js'
import { type Origin, where } from './mosquitto-conf-lines.js'

/**
 * The YAML file (`thermopost broker --config FILE`) equivalent to a converted Mosquitto configuration: each
 * key under a comment naming the Mosquitto line it came from, and the notes at the top.
 */
export function mosquittoYaml(file: string, config: BrokerConfig, { origins, notes }: Pick<ConvertedConf, 'origins' | 'notes'>): string {
  // The listeners last, where a reader of mosquitto.conf expects its listener sections.
  const { listeners, ...rest } = config
  const document = new Document({ ...rest, listeners })
  document.commentBefore = [
    ` thermopost broker configuration converted from ${file} (thermopost convert-mosquitto-conf).`,
    ...(notes.length > 0 ? [' Where it differs from Mosquitto:'] : []),
    ...notes.map(({ origin, text }) => `   ${origin === undefined ? file : `${where(origin)} (${origin.text})`}: ${text}`)
  ].join('\n')
  annotate(document.contents, [], origins)
  return document.toString({ lineWidth: 0 })
}

/** Puts `# FILE:LINE: the Mosquitto line` above every key and list entry that came from one. */
function annotate(node: unknown, path: Array<string | number>, origins: Map<string, Origin>): void {
  const comment = (at: Array<string | number>): string | undefined => {
    const origin = origins.get(pathText(at))
    return origin === undefined ? undefined : ` ${where(origin)}: ${origin.text}`
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key
      if (!isScalar(key)) continue
      const at = [...path, String(key.value)]
      const text = comment(at)
      if (text !== undefined) key.commentBefore = text
      annotate(pair.value, at, origins)
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const text = comment([...path, index])
      if (text !== undefined) (item as Node).commentBefore = text
      annotate(item, [...path, index], origins)
    })
  }
}
