import type { EntityManager } from 'typeorm'
import { STAGES, type Stage } from '../api/contract'
import { ReminderRulesRow } from '../entities'
import { addDays } from '../time'

/**
 * 提醒规则 (SPEC §4.6): the company's reminder rules. They live in one database row that is
 * read whenever they are applied (a digest, a to-do list, a follow-up saved, the scheduler's
 * minute), never cached in a process: a change in the console applies at once in every process.
 */
export interface ReminderRules {
  /** How long a customer added and never followed up stays new before counting as overdue. */
  newCustomerGraceHours: number
  /** Days from a follow-up saved without a date to the next one, by the follow's stage; a stage left out gets no date. */
  followUpDays: Partial<Record<Stage, number>>
  /** 'HH:MM' in SCRM_TIMEZONE, every day; null: DIGEST_CRON decides. */
  digestTime: string | null
}

/** SPEC §4.4's rules, what a new company starts with: 24 h of grace, no default intervals, the digest at DIGEST_CRON. */
export const DEFAULT_REMINDER_RULES: ReminderRules = { newCustomerGraceHours: 24, followUpDays: {}, digestTime: null }

/** What an operator may set: a grace from 1 hour to 30 days, an interval from 1 day to a year (the latest next date a member may pick). */
export const RULE_LIMITS = { graceHours: { min: 1, max: 720 }, followUpDays: { min: 1, max: 365 } } as const
export const DIGEST_TIME = /^([01]\d|2[0-3]):[0-5]\d$/

const RULES_ID = 1

/** The rules as they stand now; the defaults if the row was never written. */
export async function readReminderRules(manager: EntityManager): Promise<ReminderRules> {
  const row = await manager.findOneBy(ReminderRulesRow, { id: RULES_ID })
  if (!row) return DEFAULT_REMINDER_RULES
  // Only the stages we know, whatever the text holds.
  const followUpDays = Object.fromEntries(STAGES.filter((stage) => Number.isInteger(row.followUpDays?.[stage])).map((stage) => [stage, row.followUpDays[stage]!]))
  return { newCustomerGraceHours: row.newCustomerGraceHours, followUpDays, digestTime: row.digestTime }
}

/** Replaces the rules (already validated against RULE_LIMITS by the caller). */
export async function saveReminderRules(manager: EntityManager, rules: ReminderRules, actorMemberId: number, now = new Date()): Promise<void> {
  await manager.upsert(ReminderRulesRow, { id: RULES_ID, ...rules, updatedByMemberId: actorMemberId, updatedAt: now }, ['id'])
}

/** The grace period in milliseconds, as the follow-up rules take it. */
export const graceMs = (rules: ReminderRules) => rules.newCustomerGraceHours * 3_600_000

/** The next follow-up date a follow-up saved on `today` without one gets: its stage's interval, or none. */
export function defaultNextFollowUp(rules: ReminderRules, stage: Stage | null, today: string): string | null {
  const days = stage === null ? undefined : rules.followUpDays[stage]
  return days === undefined ? null : addDays(today, days)
}

/** The digest's cron expression: the console's daily time, else DIGEST_CRON. */
export function digestCron(rules: ReminderRules, configured: string): string {
  if (rules.digestTime === null) return configured
  const [hour, minute] = rules.digestTime.split(':').map(Number)
  return `${minute} ${hour} * * *`
}
