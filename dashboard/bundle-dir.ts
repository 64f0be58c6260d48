import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where the build puts the bundled dashboard (build-dashboard.ts) and the service serves it from
 * (dashboard-router.ts): beside the compiled dashboard, `dist/dashboard/bundle/`.
 */
export const BUNDLE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'bundle')

/** The dashboard's sources: tsc copies no HTML or CSS, so the build reads them from the source tree, two levels above the compiled folder. */
export const DASHBOARD_SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboard')
