import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { BUNDLE_DIR, DASHBOARD_SOURCE_DIR } from './bundle-dir.js'
import { buildDashboardBundle } from './dashboard-bundle.js'

/*
 * The build's second step (`npm run build`, after tsc): bundles the dashboard where the service serves it from,
 * and says what it wrote.
 */
const bundle = await buildDashboardBundle({ sourceDir: DASHBOARD_SOURCE_DIR, outDir: BUNDLE_DIR })
for (const file of [bundle.script, bundle.stylesheet]) {
  const { size } = await stat(join(BUNDLE_DIR, file))
  console.log(`dashboard: ${file} ${(size / 1024).toFixed(0)} KiB`)
}
