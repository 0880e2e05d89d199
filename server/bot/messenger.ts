import type { WecomConfig } from '../../config'
import { callPacer, systemClock, type Clock } from '../clock'
import { TransportCode, WecomCode } from '../wecom/apiTypes'
import { RATE_LIMIT_BLOCK_MS, type WecomClient } from '../wecom/client'
import { WecomApiError } from '../wecom/errors'

export type AppMessage = { msgtype: 'markdown'; markdown: { content: string } } | { msgtype: 'textcard'; textcard: { title: string; description: string; url: string; btntxt?: string } }

/** Robots take 20 messages a minute (wecom-protocol.md §3.9). */
export const ROBOT_MESSAGES_PER_MINUTE = 20
/**
 * WeCom counts a robot's minute from when each message arrived, we from when we sent it: the
 * 21st message, sent exactly a minute after the 1st, arrives inside that minute whenever the
 * 1st took longer on the way (a new connection), is refused with 45009, and the robot is
 * blocked for a minute or more.
 */
const ROBOT_WINDOW_MARGIN_MS = 2_000
/** Tries per app message for transport failures, which may pass. */
const TRIES = 3
/** No one waits on a page for a message: a send may wait out a 45009 block twice (the outbox's lease allows for it). */
const SEND_MAX_WAIT_MS = 2 * RATE_LIMIT_BLOCK_MS
const BACKOFF_MS = [2_000, 8_000]
/**
 * WeCom drops an identical message to the same member within this interval (its maximum,
 * 4 h [U]): if we crash after WeCom accepted a message but before we recorded it, the rerun's
 * copy is dropped there instead of reaching the member twice.
 */
const DUPLICATE_CHECK_SECONDS = 4 * 3600

/**
 * What we retry here: the client itself waits out 45009 blocks and backs off on 45033 and
 * -1. A transport failure may have reached WeCom: an app message is sent again (its
 * duplicate check drops a copy), a robot message is not (robots have no such check).
 */
const RETRIABLE_APP: readonly number[] = [TransportCode.timeout, TransportCode.network, TransportCode.badResponse]

/**
 * App messages and the group robot, with the retry rules of SPEC §4.4: transport failures
 * of app messages retried with back-off, rate limits waited out (by the client), WeCom's
 * invaliduser reported as 'invalid' and never retried, and the robot paced at 20 a minute.
 */
export class Messenger {
  /** Each robot's own minute: WeCom counts per robot. */
  private readonly robotSlots = new Map<string, () => Promise<void>>()

  constructor(
    private readonly client: WecomClient,
    private readonly config: Pick<WecomConfig, 'agentId'>,
    private readonly clock: Clock = systemClock,
  ) {}

  /** One app message to one member: 'invalid' when WeCom says the member cannot receive it. */
  async sendApp(userid: string, message: AppMessage): Promise<'sent' | 'invalid'> {
    const body = { touser: userid, agentid: Number(this.config.agentId), ...message, enable_duplicate_check: 1, duplicate_check_interval: DUPLICATE_CHECK_SECONDS }
    return this.withTransportRetries(async () => {
      try {
        const answer = await this.client.call('sendAppMessage', { body }, { maxWaitMs: SEND_MAX_WAIT_MS })
        // WeCom lower-cases the userids it reports.
        const invalid = (answer.invaliduser ?? '').split('|').map((u) => u.toLowerCase())
        return invalid.includes(userid.toLowerCase()) ? 'invalid' : 'sent'
      } catch (error) {
        if (error instanceof WecomApiError && error.code === WecomCode.allRecipientsInvalid) return 'invalid'
        throw error
      }
    })
  }

  /** One markdown message to a group robot (its key a secret), waiting for room in that robot's minute. */
  async sendRobot(key: string, content: string): Promise<'sent'> {
    let slot = this.robotSlots.get(key)
    if (!slot) this.robotSlots.set(key, (slot = callPacer(ROBOT_MESSAGES_PER_MINUTE, 60_000 + ROBOT_WINDOW_MARGIN_MS, this.clock)))
    await slot()
    await this.client.call('sendRobotMessage', { query: { key }, body: { msgtype: 'markdown', markdown: { content } } }, { maxWaitMs: SEND_MAX_WAIT_MS })
    return 'sent'
  }

  private async withTransportRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tryNumber = 1; ; tryNumber++) {
      try {
        return await attempt()
      } catch (error) {
        const code = error instanceof WecomApiError ? error.code : undefined
        if (code === undefined || !RETRIABLE_APP.includes(code) || tryNumber >= TRIES) throw error
        await this.clock.sleep(BACKOFF_MS[tryNumber - 1]!)
      }
    }
  }
}
