import type { ConsoleScript, ScriptImportResult, ScriptLibrary } from '../api/contract'
import type { LibraryRead, LibraryScript } from '../console/scripts'
import type { ImportSummary } from '../scripts/importScripts'
import { SCRIPT_VARIABLES } from '../scripts/render'

/** A script on 话术库, field by field. */
export function presentScript(script: LibraryScript): ConsoleScript {
  return {
    id: script.id,
    category: { id: script.categoryId, name: script.categoryName },
    title: script.title,
    content: script.content,
    tags: [...script.tags],
    sendCount: script.sendCount,
    updatedAt: script.updatedAt.toISOString(),
  }
}

/** GET /api/console/scripts. */
export function presentScriptLibrary(library: LibraryRead, limit: number): ScriptLibrary {
  return {
    scripts: library.scripts.map(presentScript),
    total: library.total,
    limit,
    categories: library.categories.map((c) => ({ id: c.id, name: c.name, scripts: c.scripts })),
    variables: [...SCRIPT_VARIABLES],
  }
}

/** POST /api/console/scripts/import. */
export function presentImportResult(summary: ImportSummary): ScriptImportResult {
  return {
    created: summary.created,
    updated: summary.updated,
    unchanged: summary.unchanged,
    rejected: summary.rejected.map((r) => ({ line: r.line, reason: r.reason, problem: r.problem })),
  }
}
