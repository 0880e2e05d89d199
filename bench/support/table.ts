import type { ResultTable } from './benchmark'

/** Renders a table with aligned columns, as plain text for a terminal or a log. */
export function renderTable({ title, columns, rows }: ResultTable): string {
  const widths = columns.map((column, i) => Math.max(column.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd()
  return [title, line(columns), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}

/** A number for a table cell: fixed decimals, '–' when there is none. */
export const formatNumber = (value: number, decimals = 1) => (Number.isFinite(value) ? value.toFixed(decimals) : '–')

/** A figure over its floor, for a table cell: `1.42×`, '–' when there is no floor. */
export const formatRatio = (ratio: number | null) => (ratio !== null && Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '–')
