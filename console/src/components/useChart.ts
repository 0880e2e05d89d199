import { init, use, type ECharts, type EChartsCoreOption } from 'echarts/core'
// Canvas, not SVG: nothing of it needs more than the page's CSP (script-src 'self') allows.
import { CanvasRenderer } from 'echarts/renderers'
import { onBeforeUnmount, watch, type Ref } from 'vue'

use([CanvasRenderer])

/**
 * An ECharts chart on a canvas in `element`, drawing `option` (the caller registers, with
 * `use`, the series and components it needs): drawn anew when either changes, resized with
 * the element, disposed of with the component. Either null: no chart.
 */
export function useChart(element: Readonly<Ref<HTMLElement | null>>, option: Readonly<Ref<EChartsCoreOption | null>>): void {
  let chart: ECharts | undefined
  let resizes: ResizeObserver | undefined
  function dispose() {
    resizes?.disconnect()
    chart?.dispose()
    chart = resizes = undefined
  }
  watch(
    [element, option],
    ([shownIn, drawn]) => {
      if (!shownIn || !drawn) return dispose()
      if (chart?.getDom() !== shownIn) {
        dispose()
        const created = init(shownIn)
        // The container follows the window (and the page's layout); the canvas follows the container.
        resizes = new ResizeObserver(() => created.resize())
        resizes.observe(shownIn)
        chart = created
      }
      chart.setOption(drawn, { notMerge: true })
    },
    { flush: 'post' },
  )
  onBeforeUnmount(dispose)
}
