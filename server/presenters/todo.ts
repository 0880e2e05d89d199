import type { TodoItem, TodoList } from '../api/contract'
import type { TodoEntry } from '../customers/todo'

/** A member's to-do page, in the order the domain ranked it. */
export function presentTodo(entries: TodoEntry[]): TodoList {
  return { items: entries.map(presentTodoItem) }
}

function presentTodoItem(entry: TodoEntry): TodoItem {
  return {
    externalUserid: entry.externalUserid,
    name: entry.name,
    remark: entry.remark,
    nextFollowUpOn: entry.nextFollowUpOn,
    addedAt: entry.addedAt.toISOString(),
    kind: entry.kind,
    overdueDays: entry.overdueDays,
  }
}
