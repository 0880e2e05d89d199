import { businessDate } from '../time'

/**
 * The follow-up rules of SPEC §4.4, in one place: the sidebar's to-do page and the digest's
 * figures both use them, so a card's numbers match the page it links to.
 *
 * A live follow is due on its next follow-up date. One with no date that was never followed
 * up is a new customer for the grace period after the add (提醒规则, 24 h unless an operator
 * changed it), and overdue after that.
 */

/** The values the SQL rules below read, as named parameters of the same names. */
// A type, not an interface: it spreads into query()'s Record of parameters.
export type FollowUpRuleParameters = {
  /** The business date the rules are judged on ('YYYY-MM-DD'). */
  today: string
  /** The instant they are judged at. */
  asOf: Date
  /** Customers added at or after this instant are still within their grace. */
  newSince: Date
}

/** The parameters for judging on the business date `today` at the instant `asOf`, with a grace of `graceMs`. */
export function followUpRuleParameters(today: string, asOf: Date, graceMs: number): FollowUpRuleParameters {
  return { today, asOf, newSince: new Date(asOf.getTime() - graceMs) }
}

// Every fragment below is a condition on follow_relations aliased `f`, set-based and served
// by the (member, status, next date) index; callers combine them with AND / OR / CASE.
const LIVE = "f.status = 'active'"
const NEVER_FOLLOWED_UP = 'f.next_follow_up_on IS NULL AND f.last_followed_up_at IS NULL'

/** Overdue: the next date has passed, or a customer added before :newSince was never followed up. */
export const FOLLOW_UP_OVERDUE_SQL = `${LIVE} AND (f.next_follow_up_on < :today OR (${NEVER_FOLLOWED_UP} AND f.added_at < :newSince))`
/** Due today: the next date is :today. */
export const FOLLOW_UP_DUE_TODAY_SQL = `${LIVE} AND f.next_follow_up_on = :today`
/** New: added within the grace before :asOf and not followed up yet (tomorrow's overdue, unless someone acts). */
export const NEW_UNFOLLOWED_SQL = `${LIVE} AND ${NEVER_FOLLOWED_UP} AND f.added_at >= :newSince AND f.added_at < :asOf`

/**
 * The business date a follow-up falls due: its next date, else (never followed up) the day
 * the new customer's grace ends. What "days overdue" counts from.
 */
export function followUpDueOn(nextFollowUpOn: string | null, addedAt: Date, timeZone: string, graceMs: number): string {
  return nextFollowUpOn ?? businessDate(new Date(addedAt.getTime() + graceMs), timeZone)
}
