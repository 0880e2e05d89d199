/**
 * Business dates: calendar dates (YYYY-MM-DD) in SCRM_TIMEZONE. Everything here works from
 * explicit time zones, never the process's own TZ, so a server in UTC and one in Shanghai
 * agree on what "today" is.
 */

/** Intl formatters cost far more to make than to use (an import converts a million times). */
function cached<T>(make: (timeZone: string) => T): (timeZone: string) => T {
  const made = new Map<string, T>()
  return (timeZone) => made.get(timeZone) ?? made.set(timeZone, make(timeZone)).get(timeZone)!
}

// en-CA formats as YYYY-MM-DD.
const dateFormat = cached((timeZone) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }))
const wallClockFormat = cached(
  (timeZone) => new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }),
)

/** The calendar date (YYYY-MM-DD) of an instant in a time zone: our business dates. */
export function businessDate(instant: Date, timeZone: string): string {
  return dateFormat(timeZone).format(instant)
}

/** `date` moved by `days` calendar days. */
export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10)
}

/** Offsets by zone, then quarter hour: no zone changes offset within one, and formatToParts is slow. */
const offsets = new Map<string, Map<number, number>>()
const QUARTER_HOUR_MS = 15 * 60_000

/** How far the zone's wall clock is ahead of UTC at `instant`, in ms. */
function zoneOffsetMs(instant: number, timeZone: string): number {
  let zone = offsets.get(timeZone)
  if (zone === undefined) offsets.set(timeZone, (zone = new Map()))
  const quarter = Math.floor(instant / QUARTER_HOUR_MS)
  let offset = zone.get(quarter)
  if (offset === undefined) {
    if (zone.size > 100_000) zone.clear()
    zone.set(quarter, (offset = measureZoneOffsetMs(instant, timeZone)))
  }
  return offset
}

function measureZoneOffsetMs(instant: number, timeZone: string): number {
  const parts = wallClockFormat(timeZone).formatToParts(new Date(instant))
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value)
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'))
  return wall - Math.floor(instant / 1000) * 1000
}

/** The instant a business date begins (its midnight in the zone). */
export function startOfBusinessDay(date: string, timeZone: string): Date {
  return zonedInstant(date, '00:00:00', timeZone)
}

/**
 * The instant a wall-clock time in the zone stands for (`2026-11-23`, `09:30:00.000`).
 * In a DST gap or overlap it takes the offset in force just before.
 */
export function zonedInstant(date: string, time: string, timeZone: string): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  const [hour, minute, second = 0] = time.split(':').map(Number) as [number, number, number?]
  return wallClockInstant(Date.UTC(year, month - 1, day, hour, minute, Math.floor(second), Math.round((second % 1) * 1000)), timeZone)
}

/**
 * zonedInstant for a wall-clock time already read into numbers: `wallAsUtc` is its fields as
 * if they were UTC (Date.UTC). For a parser that has the fields at hand (an import, a million times).
 */
export function wallClockInstant(wallAsUtc: number, timeZone: string): Date {
  const instant = wallAsUtc - zoneOffsetMs(wallAsUtc, timeZone)
  return new Date(wallAsUtc - zoneOffsetMs(instant, timeZone))
}
