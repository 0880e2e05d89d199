import { STAGES, type FollowUp, type FollowUpSuggestions } from '../api/contract'
import { defaultNextFollowUp, type ReminderRules } from '../rules/reminderRules'

/** A saved follow-up as the API shows it (the entity, or a history row of the panel). */
export function presentFollowUp(followUp: { id: number; note: string; nextFollowUpOn: string | null; stage: string | null; createdAt: Date }): FollowUp {
  return { id: followUp.id, note: followUp.note, nextFollowUpOn: followUp.nextFollowUpOn, stage: followUp.stage, createdAt: followUp.createdAt.toISOString() }
}

/** Per stage, the date a follow-up saved on `today` without one would get. */
export function presentFollowUpSuggestions(rules: ReminderRules, today: string): FollowUpSuggestions {
  return { today, nextFollowUpOn: Object.fromEntries(STAGES.map((stage) => [stage, defaultNextFollowUp(rules, stage, today)])) as FollowUpSuggestions['nextFollowUpOn'] }
}
