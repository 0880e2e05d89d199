import { In, type DataSource, type EntityManager } from 'typeorm'
import { upsertTransaction } from '../db/transaction'
import { ActivityLog, FollowRelation, FollowTag, FollowUp, Script, ScriptMemberUsage, Tag, type Stage } from '../entities'
import { AppError, notFound } from '../errors'
import { addDays, businessDate } from '../time'
import type { WecomClient } from '../wecom/client'
import { WecomApiError } from '../wecom/errors'
import { defaultNextFollowUp, readReminderRules } from '../rules/reminderRules'
import type { VisibleFollow } from './access'

const log = (actorMemberId: number, customerId: number, action: string, detail: object, at: Date) => ({
  actorMemberId,
  customerId,
  action,
  detail: JSON.stringify(detail),
  createdAt: at,
})

/**
 * Marks or unmarks a corp tag: WeCom first (it is the truth and says no for its own
 * reasons), then our copy and the activity log, together. A WeCom refusal changes nothing.
 */
export async function setTag(
  dataSource: DataSource,
  client: WecomClient,
  actorId: number,
  follow: VisibleFollow & { externalUserid: string },
  tagId: number,
  marked: boolean,
): Promise<void> {
  const tag = await dataSource.getRepository(Tag).findOneBy({ id: tagId })
  // The sidebar offers only tags it was shown: one missing now was deleted since (by an admin, in WeCom or the console).
  if (!tag) throw new AppError('tag_deleted', 'This tag has been deleted')
  try {
    await client.call('markTag', {
      body: { userid: follow.memberUserid, external_userid: follow.externalUserid, ...(marked ? { add_tag: [tag.wecomTagId] } : { remove_tag: [tag.wecomTagId] }) },
    })
  } catch (error) {
    if (error instanceof WecomApiError) throw new AppError('wecom_refused', `WeCom did not change the tag (${error.code})`)
    throw error
  }
  await recordTagChange(dataSource, { followId: follow.followId, customerId: follow.customerId, actorMemberId: actorId, added: marked ? [tag] : [], removed: marked ? [] : [tag] })
}

type TagRef = Pick<Tag, 'id' | 'name' | 'wecomTagId'>

/**
 * Our copy of a tag change WeCom accepted, and its activity log entries, together: changes
 * made through the API send no callback, so nothing else would tell us. `by` says which
 * job made it when no member did.
 */
export async function recordTagChange(
  dataSource: DataSource,
  { followId, customerId, actorMemberId, added, removed, by }: { followId: number; customerId: number; actorMemberId: number | null; added: TagRef[]; removed: TagRef[]; by?: string },
): Promise<void> {
  const now = new Date()
  const entry = (action: string, tag: TagRef) => ({
    actorMemberId,
    customerId,
    action,
    detail: JSON.stringify({ tag: tag.name, wecomTagId: tag.wecomTagId, ...(by ? { job: by } : {}) }),
    createdAt: now,
  })
  await upsertTransaction(dataSource, async (tx) => {
    if (added.length > 0) {
      await tx.createQueryBuilder().insert().into(FollowTag).values(added.map((tag) => ({ followRelationId: followId, tagId: tag.id, createdAt: now }))).orIgnore().execute()
    }
    if (removed.length > 0) await tx.delete(FollowTag, { followRelationId: followId, tagId: In(removed.map((tag) => tag.id)) })
    await tx.insert(ActivityLog, [...added.map((tag) => entry('tag_added', tag)), ...removed.map((tag) => entry('tag_removed', tag))])
  })
}

/** How far ahead a next follow-up may be planned: a date further out is a typo, not a plan. */
const NEXT_FOLLOW_UP_YEARS = 1

/**
 * Refuses a next follow-up date before today or more than a year after it, both in the
 * business time zone: a past date would make the customer overdue at once, a far one hides them.
 */
export function checkNextFollowUp(date: string, timeZone: string, now: Date): void {
  const today = businessDate(now, timeZone)
  const [year, month, day] = today.split('-').map(Number) as [number, number, number]
  // 29 February plus a year is 1 March.
  const latest = addDays(`${year + NEXT_FOLLOW_UP_YEARS}-${String(month).padStart(2, '0')}-01`, day - 1)
  if (date < today) throw new AppError('follow_up_date', `The next follow-up date ${date} is before today (${today})`)
  if (date > latest) throw new AppError('follow_up_date', `The next follow-up date ${date} is more than a year ahead (latest ${latest})`)
}

/**
 * Records a follow-up and keeps the follow's next date, stage and last follow-up in step.
 * `timeZone` is SCRM_TIMEZONE, which decides what "today" is for the next date. Without a
 * date, the follow's stage (the one given, else its current one) sets it by the reminder
 * rules' interval for that stage, if there is one.
 */
export async function addFollowUp(
  dataSource: DataSource,
  actorId: number,
  follow: VisibleFollow,
  input: { note: string; nextFollowUpOn: string | null; stage: Stage | null },
  { timeZone, now = new Date() }: { timeZone: string; now?: Date },
): Promise<FollowUp> {
  if (input.nextFollowUpOn !== null) checkNextFollowUp(input.nextFollowUpOn, timeZone, now)
  return dataSource.transaction(async (tx) => {
    const nextFollowUpOn = input.nextFollowUpOn ?? (await nextFollowUpByRule(tx, follow.followId, input.stage, businessDate(now, timeZone)))
    const saved = await tx.save(
      tx.create(FollowUp, { followRelationId: follow.followId, authorMemberId: actorId, note: input.note, nextFollowUpOn, stage: input.stage, createdAt: now }),
    )
    await tx.update(
      FollowRelation,
      { id: follow.followId },
      { nextFollowUpOn, lastFollowedUpAt: now, updatedAt: now, ...(input.stage ? { stage: input.stage } : {}) },
    )
    await tx.insert(ActivityLog, log(actorId, follow.customerId, 'follow_up', { followUpId: saved.id, stage: input.stage, next: nextFollowUpOn, ...(input.nextFollowUpOn === null && nextFollowUpOn !== null ? { nextByRule: true } : {}) }, now))
    return saved
  })
}

/** The date the reminder rules give a follow-up saved on `today` without one: by the stage given, else the follow's own. */
async function nextFollowUpByRule(tx: EntityManager, followId: number, stage: Stage | null, today: string): Promise<string | null> {
  const rules = await readReminderRules(tx)
  if (Object.keys(rules.followUpDays).length === 0) return null
  const current = stage ?? (await tx.findOne(FollowRelation, { where: { id: followId }, select: { id: true, stage: true } }))?.stage ?? null
  return defaultNextFollowUp(rules, current, today)
}

/** Counts a script sent into a chat, for the member's and the team's suggestions. */
export async function recordScriptSend(dataSource: DataSource, actorId: number, follow: VisibleFollow, scriptId: number, edited: boolean): Promise<void> {
  const now = new Date()
  await dataSource.transaction(async (tx) => {
    const updated = await tx.increment(Script, { id: scriptId }, 'sendCount', 1)
    if (!updated.affected) throw notFound('No such script')
    // Insert-if-missing, then increment: safe when a double tap sends twice at once.
    await tx
      .createQueryBuilder()
      .insert()
      .into(ScriptMemberUsage)
      .values({ scriptId, memberId: actorId, sendCount: 0, lastSentAt: now })
      .orIgnore()
      .execute()
    await tx
      .createQueryBuilder()
      .update(ScriptMemberUsage)
      .set({ sendCount: () => 'send_count + 1', lastSentAt: now })
      .where('script_id = :scriptId AND member_id = :memberId', { scriptId, memberId: actorId })
      .execute()
    await tx.insert(ActivityLog, log(actorId, follow.customerId, 'script_sent', { scriptId, edited }, now))
  })
}
