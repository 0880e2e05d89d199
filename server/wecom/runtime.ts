import type { DataSource } from 'typeorm'
import type { WecomConfig } from '../../config'
import type { Logger } from '../logger'
import { InboxSpool } from '../inbox/spool'
import { createCallbackCodec, type CallbackCodec } from './callbackCodec'
import { WecomClient, type WecomClientOptions } from './client'

/** Everything the server needs to talk to one WeCom app (or to the simulator standing in for it). */
export interface WecomRuntime {
  config: WecomConfig
  client: WecomClient
  codec: CallbackCodec
  spool: InboxSpool
  onJournaled?: (urgent: boolean) => void
}

export function createWecomRuntime(
  config: WecomConfig,
  dataSource: DataSource,
  { logger, spoolDir, client }: { logger: Logger; spoolDir: string; client?: WecomClientOptions },
): WecomRuntime {
  return {
    config,
    client: new WecomClient(config, dataSource, { logger, ...client }),
    codec: createCallbackCodec({ token: config.token, aesKey: config.aesKey, corpId: config.corpId }),
    spool: new InboxSpool(spoolDir),
  }
}
