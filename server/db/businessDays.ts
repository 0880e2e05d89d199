import { addDays, startOfBusinessDay } from '../time'

/**
 * Counting rows by business day in SQL, the same on MySQL and SQLite: the days' boundaries
 * are computed here from SCRM_TIMEZONE (so every zone's days, DST ones too, come out right)
 * and bound as :b0 … :b<n>; one CASE over them gives each row its day.
 */

/** The business dates from `first`, `days` of them. */
export const datesFrom = (first: string, days: number) => Array.from({ length: days }, (_, i) => addDays(first, i))

/** The boundaries of `dates` (consecutive) as named parameters: :b0 is the first day's start, :b<n> the last day's end. */
export function dayBounds(dates: readonly string[], timeZone: string): Record<string, Date> {
  return Object.fromEntries([...dates, addDays(dates.at(-1)!, 1)].map((date, i) => [`b${i}`, startOfBusinessDay(date, timeZone)]))
}

/** The day (0 … days − 1) `column` falls in, for rows already narrowed to [:b0, :b<days>). One day has no CASE to make: every row is day 0. */
export const dayOf = (column: string, days: number) =>
  days === 1 ? '0' : `CASE ${Array.from({ length: days - 1 }, (_, i) => `WHEN ${column} < :b${i + 1} THEN ${i}`).join(' ')} ELSE ${days - 1} END`

/** `column` within the days: [:b0, :b<days>). */
export const withinDays = (column: string, days: number) => `${column} >= :b0 AND ${column} < :b${days}`

/** Rows of (day, n) as one count a day. */
export function countsByDay(rows: readonly { day: number | string; n: number | string }[], days: number): number[] {
  const counts = new Array<number>(days).fill(0)
  for (const row of rows) counts[Number(row.day)] = Number(row.n)
  return counts
}
