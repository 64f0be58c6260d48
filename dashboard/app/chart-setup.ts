import { Chart as ChartJs, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js'

/*
 * Chart.js set up once for the page, bundled with the app. Only the parts the dashboard's charts use are
 * registered, so the bundle carries no other chart type: lines on linear axes (time is one in ms, with ticks of
 * our own: time-chart.ts), the band's fill, the legend and the tooltip.
 */
ChartJs.register(LineController, LineElement, PointElement, LinearScale, Filler, Legend, Tooltip)

/*
 * The class stays a global, as when Chart.js came as a classic script: the browser tests (and anyone at the
 * console) read what a chart drew with `Chart.getChart(canvas)`.
 */
declare global {
  var Chart: typeof ChartJs
}
globalThis.Chart = ChartJs
