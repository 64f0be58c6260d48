import type { Chart as ChartClass } from 'chart.js'

/*
 * Chart.js and its date adapter come as classic <script> tags (their UMD builds, served from node_modules by
 * dashboard-router.ts) before the modules run, so Chart is a global; only its types are imported.
 */
declare global {
  var Chart: typeof ChartClass
}
