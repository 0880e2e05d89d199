import { randomBytes } from 'node:crypto'
import type { Config, WecomConfig } from '../../config'
import { createSimulator, type Simulator } from '../wecom/simulator'
import { DEMO_AGENT_ID, DEMO_CORP_ID, demoCompany } from './company'

export const SIMULATOR_PATH = '/wecom-sim'
export const DEMO_ROBOT_KEY = 'demo-robot-key'

const alphanumeric = (length: number) => randomBytes(length * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, length)

/**
 * Demo mode's WeCom: the simulator, seeded with the demo company, with fresh credentials
 * each run. Our server calls it on its own loopback port; browsers reach the same
 * simulator through the main server at /wecom-sim (OAuth, and the simulator page).
 */
export async function startDemoWecom(config: Config): Promise<{ wecom: WecomConfig; simulator: Simulator; close(): Promise<void> }> {
  const credentials = { corpId: DEMO_CORP_ID, agentId: DEMO_AGENT_ID, secret: alphanumeric(32), token: alphanumeric(16), aesKey: alphanumeric(43) }
  const simulator = createSimulator({ ...credentials, basePath: SIMULATOR_PATH, robotKeys: [DEMO_ROBOT_KEY] })
  simulator.seed(demoCompany())
  const standalone = await simulator.listen(0)
  return {
    wecom: { ...credentials, apiBase: standalone.url, oauthBase: `${config.publicUrl}${SIMULATOR_PATH}`, robotKey: DEMO_ROBOT_KEY },
    simulator,
    close: standalone.close,
  }
}
