import { In, type EntityManager } from 'typeorm'
import { ScriptTagTarget, Tag } from '../entities'

/**
 * Scripts aim at tags by name (SPEC §3.4: the CSV names them, and a tag may not exist yet).
 * When a tag is renamed, in the console or in WeCom, the scripts aimed at its old name follow
 * it, unless another tag still has that name (names repeat across groups): then the old
 * name still means something, and the scripts are left as they are. Returns the scripts moved.
 */
export async function retargetScripts(tx: EntityManager, from: string, to: string): Promise<number> {
  if (from === to || (await tx.existsBy(Tag, { name: from }))) return 0
  const targets = await tx.findBy(ScriptTagTarget, { tagName: In([from, to]) })
  const aimedAtNew = new Set(targets.filter((t) => t.tagName === to).map((t) => t.scriptId))
  const moving = targets.filter((t) => t.tagName === from && !aimedAtNew.has(t.scriptId)).map((t) => ({ scriptId: t.scriptId, tagName: to }))
  if (moving.length > 0) await tx.insert(ScriptTagTarget, moving)
  await tx.delete(ScriptTagTarget, { tagName: from })
  return moving.length
}
