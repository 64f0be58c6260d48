import type { SourceImport } from './source-imports.js'

/** The one module of the service that the dashboard may import: the types of the service's HTTP API. */
export const API_TYPES_MODULE = 'service/api/api-types.ts'

/** The folders whose imports are checked; `bin/` may import anything and `test/` is not checked. */
export const PART_FOLDERS = ['common', 'broker', 'devices', 'service', 'dashboard'] as const

interface PartRule {
  /** Folders (ending in `/`) and single files this part may import. */
  mayImport: readonly string[]
  /**
   * Only type-only imports may leave the part: the build bundles everything the dashboard imports into
   * the browser's one script, and a type-only import leaves nothing behind in it.
   */
  typeOnlyOutside?: boolean
  /** The rule as the failure message states it. */
  rule: string
}

const RULES: Record<(typeof PART_FOLDERS)[number], PartRule> = {
  common: { mayImport: ['common/'], rule: 'common/ is the shared floor: it imports no part' },
  broker: { mayImport: ['broker/', 'common/'], rule: 'broker/ imports only broker/ and common/' },
  devices: { mayImport: ['devices/', 'common/'], rule: 'devices/ imports only devices/ and common/' },
  service: { mayImport: ['service/', 'common/'], rule: 'service/ imports only service/ and common/' },
  dashboard: {
    mayImport: ['dashboard/', 'common/', API_TYPES_MODULE],
    typeOnlyOutside: true,
    rule: `dashboard/ imports only dashboard/, and types (import type) from common/ and ${API_TYPES_MODULE}`
  }
}

/** An import that crosses a part's boundary, with the rule it breaks. */
export interface BoundaryViolation {
  file: string
  line: number
  specifier: string
  rule: string
}

/** The imports that break their part's rule; an empty list when every part imports only what it talks to. */
export function boundaryViolations(imports: readonly SourceImport[]): BoundaryViolation[] {
  return imports.flatMap((imported) => {
    const part = imported.file.split('/')[0]
    const rule = RULES[part as keyof typeof RULES]
    if (rule === undefined || allowed(rule, part, imported)) return []
    return [{ file: imported.file, line: imported.line, specifier: imported.specifier, rule: rule.rule }]
  })
}

function allowed(rule: PartRule, part: string, imported: SourceImport): boolean {
  if (imported.target.startsWith(`${part}/`)) return true
  const listed = rule.mayImport.some((allowedPath) =>
    allowedPath.endsWith('/') ? imported.target.startsWith(allowedPath) : imported.target === allowedPath
  )
  return listed && (!rule.typeOnlyOutside || imported.typeOnly)
}
