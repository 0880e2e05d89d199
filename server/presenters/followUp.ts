import type { FollowUp } from '../api/contract'

/** A saved follow-up as the API shows it (the entity, or a history row of the panel). */
export function presentFollowUp(followUp: { id: number; note: string; nextFollowUpOn: string | null; stage: string | null; createdAt: Date }): FollowUp {
  return { id: followUp.id, note: followUp.note, nextFollowUpOn: followUp.nextFollowUpOn, stage: followUp.stage, createdAt: followUp.createdAt.toISOString() }
}
