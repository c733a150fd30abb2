// A bar chart drawn as SVG by hand: thirty bars, a top line and a few day labels need less code
// than a charting library would weigh, and its text is set as text nodes like the rest.
import { svg } from './dom.js'

const WIDTH = 480
const HEIGHT = 170
const LEFT = 60
const BOTTOM = 22
const TOP = 12

/**
 * One bar per point (`{ label, value }`), scaled to the largest; `format` writes a value (the
 * axis and each bar's tooltip). Labels under every seventh bar, the last included.
 */
export function barChart(points, { title, format }) {
  const max = Math.max(0, ...points.map((p) => p.value))
  const plotWidth = WIDTH - LEFT - 4
  const plotHeight = HEIGHT - TOP - BOTTOM
  const step = plotWidth / Math.max(points.length, 1)
  const bars = points.map((point, index) => {
    const height = max > 0 ? (point.value / max) * plotHeight : 0
    const x = LEFT + index * step + step * 0.15
    return svg(
      'rect',
      {
        class: 'bar',
        x: x.toFixed(1),
        y: (TOP + plotHeight - height).toFixed(1),
        width: (step * 0.7).toFixed(1),
        height: Math.max(height, point.value > 0 ? 1 : 0).toFixed(1),
        'data-value': point.value,
      },
      svg('title', {}, `${point.label}: ${format(point.value)}`),
    )
  })
  const labels = points
    .map((point, index) => ({ point, index }))
    .filter(({ index }) => (points.length - 1 - index) % 7 === 0)
    .map(({ point, index }) => {
      // The last label ends at the plot's edge rather than running past it.
      const last = index === points.length - 1
      const x = last ? LEFT + (index + 1) * step : LEFT + (index + 0.5) * step
      const anchor = last ? 'end' : 'middle'
      return svg(
        'text',
        { class: 'axis', x: x.toFixed(1), y: HEIGHT - 6, 'text-anchor': anchor },
        point.label.slice(5),
      )
    })
  return svg(
    'svg',
    { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': title },
    svg('title', {}, title),
    svg('line', { class: 'rule', x1: LEFT, x2: WIDTH, y1: TOP, y2: TOP }),
    svg('line', { class: 'rule', x1: LEFT, x2: WIDTH, y1: TOP + plotHeight, y2: TOP + plotHeight }),
    svg('text', { class: 'axis', x: LEFT - 6, y: TOP + 4, 'text-anchor': 'end' }, format(max)),
    svg(
      'text',
      { class: 'axis', x: LEFT - 6, y: TOP + plotHeight + 4, 'text-anchor': 'end' },
      format(0),
    ),
    bars,
    labels,
  )
}
