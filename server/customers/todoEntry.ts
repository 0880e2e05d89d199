import type { TodoItem } from '../api/contract'

/**
 * A to-do item as GET /api/todo answers it: the contract's TodoItem and how overdue it is.
 * Types only, so that the sidebar can read it too; it belongs in TodoItem itself
 * (server/api/contract.ts), where it moves when that file is next changed.
 */
export interface TodoEntry extends TodoItem {
  /**
   * Whole days past due in the business time zone: 0 when due today. A customer never
   * followed up counts from the day their 24 h grace ran out.
   */
  overdueDays: number
}
