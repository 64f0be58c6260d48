import type { HistoryColors } from './history-datasets.js'

/**
 * The charts' colours, read from the page's CSS custom properties so the light and dark themes
 * (prefers-color-scheme in styles/theme.css) are defined in one place.
 */
export interface ChartTheme extends HistoryColors {
  text: string
  grid: string
  /** One colour per device in the compare view, reused in turn. */
  series: string[]
}

export function chartTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement)
  const read = (name: string): string => style.getPropertyValue(name).trim()
  return {
    text: read('--text-muted'),
    grid: read('--grid'),
    band: read('--band'),
    bandEdge: read('--band-edge'),
    mean: read('--accent'),
    setpoint: read('--setpoint'),
    series: read('--series')
      .split(/\s+/)
      .filter((colour) => colour !== '')
  }
}
