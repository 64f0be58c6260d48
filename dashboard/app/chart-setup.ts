import { Chart as ChartJs, Filler, Legend, LinearScale, LineController, LineElement, PointElement, TimeScale, Tooltip } from 'chart.js'
// Registers itself as Chart.js's date adapter, which the time scale needs.
import 'chartjs-adapter-date-fns'

/*
 * Chart.js set up once for the page, bundled with the app. Only the parts the dashboard's charts use are
 * registered, so the bundle carries no other chart type: lines on a time and a linear axis, the band's fill,
 * the legend and the tooltip.
 */
ChartJs.register(LineController, LineElement, PointElement, LinearScale, TimeScale, Filler, Legend, Tooltip)

/*
 * The class stays a global, as when Chart.js came as a classic script: the browser tests (and anyone at the
 * console) read what a chart drew with `Chart.getChart(canvas)`.
 */
declare global {
  var Chart: typeof ChartJs
}
globalThis.Chart = ChartJs
