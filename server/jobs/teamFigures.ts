import { recordDailyFigures } from '../console/trend'
import { addDays } from '../time'
import type { Job } from './job'

/**
 * Just after midnight: every member's follows overdue at the end of the day that has just
 * ended, for 团队's 30-day chart (the one figure a later day cannot read back). `--date D`
 * records the day before D, as the night's run of D does. Made up later the same day when
 * no process was up at 00:05, judged on that later state (whatever changed since midnight).
 */
export const teamFiguresJob: Job = {
  name: 'team-figures',
  schedule: () => '5 0 * * *',
  catchUp: true,
  async run({ config, dataSource }, { date, dryRun }) {
    const day = addDays(date, -1)
    if (dryRun) return { summary: `dry run: would record each member's overdue follows at the end of ${day}; nothing written`, complete: true }
    const members = await recordDailyFigures(dataSource.manager, { date: day, timeZone: config.timezone })
    return { summary: `recorded the overdue follows of ${members} members at the end of ${day}`, complete: true }
  },
}
