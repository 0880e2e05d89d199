/**
 * `npm run sources -- add <name> --platform <platform> | list | rotate <name> | remove <name>`:
 * the shop systems allowed to post orders to the webhook (server/routes/orderWebhook.ts).
 * A secret is printed once, when made; nothing shows it again.
 */
import { parseArgs } from 'node:util'
import { createSource, listSources, removeSource, rotateSecret, SourceError } from '../orders/sources'
import { fail, openDatabase } from './bootstrap'

const usage = [
  'Usage: npm run sources -- add <name> --platform <platform>',
  '       npm run sources -- list',
  '       npm run sources -- rotate <name>',
  '       npm run sources -- remove <name>',
].join('\n')

let parsed
try {
  parsed = parseArgs({ allowPositionals: true, options: { platform: { type: 'string' } } })
} catch (error) {
  fail(`${(error as Error).message}\n${usage}`)
}
const [command, name, ...extra] = parsed.positionals
const platform = parsed.values.platform
const arity = { add: 1, list: 0, rotate: 1, remove: 1 } as const
if (!command || !(command in arity)) fail(command ? `Unknown command "${command}".\n${usage}` : usage)
const wanted = arity[command as keyof typeof arity]
if ((wanted === 1 && !name) || (wanted === 0 && name) || extra.length > 0) fail(usage)
if (command === 'add' && !platform) fail(`add needs --platform, the shop platform of the source's orders (e.g. tmall).\n${usage}`)
if (command !== 'add' && platform !== undefined) fail(`--platform goes with add only.\n${usage}`)

const { config, dataSource } = await openDatabase()

const print = (line: string) => process.stdout.write(`${line}\n`)
const utc = (date: Date | null) => (date ? `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC` : '-')
const endpoint = (source: string) => `${config.publicUrl}/api/integrations/orders/${source}`
const signingHint = 'sign each request as server/routes/orderWebhook.ts describes'

try {
  if (command === 'add') {
    const secret = await createSource(dataSource.manager, { name: name!, platform: platform! })
    print(`Added order source "${name}" (platform ${platform}). Its secret, shown only this once:`)
    print(secret)
    print(`POST its orders to ${endpoint(name!)}; ${signingHint}.`)
  } else if (command === 'rotate') {
    const secret = await rotateSecret(dataSource.manager, name!)
    print(`New secret of "${name}", shown only this once (the old one no longer works):`)
    print(secret)
    print(`Give it to the shop system posting to ${endpoint(name!)}.`)
  } else if (command === 'remove') {
    await removeSource(dataSource.manager, name!)
    print(`Removed order source "${name}": its requests are refused from now on; its orders stay.`)
  } else {
    const sources = await listSources(dataSource.manager)
    if (sources.length === 0) print('No order sources yet. Add one: npm run sources -- add <name> --platform <platform>')
    else {
      const rows = [['name', 'platform', 'created', 'rotated'], ...sources.map((s) => [s.name, s.platform, utc(s.createdAt), utc(s.rotatedAt)])]
      const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
      for (const row of rows) print(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd())
    }
  }
} catch (error) {
  if (!(error instanceof SourceError)) throw error
  process.stderr.write(`${error.message}\n`)
  process.exitCode = 2
} finally {
  await dataSource.destroy()
}
