import type { ObjectLiteral, UpdateQueryBuilder } from 'typeorm'

/**
 * "Newer status wins": a follow's status carries the time of the event (or WeCom read) that
 * set it, and a write stating an older time changes nothing. So events delivered twice, or
 * out of order, and reads racing events, end in the same state as once, in order.
 * Adds that condition to an update of follow_relations; `at` is when the new status was true.
 */
export function whereStatusOlderThan<T extends ObjectLiteral>(update: UpdateQueryBuilder<T>, at: Date): UpdateQueryBuilder<T> {
  return update.andWhere('(status_changed_at IS NULL OR status_changed_at < :statusAt)', { statusAt: at })
}
