import type { EntityManager } from 'typeorm'
import { ActivityLog } from '../entities'

/** A console change, as the activity log keeps it (SPEC §4.6: every console change, with its actor). */
export interface ConsoleActivity {
  actorMemberId: number
  /** What was done, e.g. 'script_created', 'tag_group_renamed', 'inbox_replayed' (at most 32 characters). */
  action: string
  /** What it was done to and with: ids and names, never a secret. */
  detail: Record<string, unknown>
}

/** Writes a console change to the activity log; call in the transaction that makes the change, so both or neither happen. */
export async function recordActivity(manager: EntityManager, { actorMemberId, action, detail }: ConsoleActivity, at = new Date()): Promise<void> {
  await manager.insert(ActivityLog, { actorMemberId, customerId: null, action, detail: JSON.stringify(detail), createdAt: at })
}
