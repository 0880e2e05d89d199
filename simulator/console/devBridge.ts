import type { Context } from 'koa'
import { OAUTH_USER_COOKIE } from '../api/oauth'

/** Which chat the visitor "is in": `<entry>|<external_userid>`, set by the simulator page. */
export const DEV_CHAT_COOKIE = 'wecom_sim_chat'
export const DEV_BRIDGE_PATH = '/dev-bridge.js'

export interface DevChat {
  /** `normal`: opened outside any chat (a link in a bot message), as WeCom says for such pages. */
  entry: 'single_chat_tools' | 'group_chat_tools' | 'normal'
  externalUserid: string | null
}

export function readDevChat(ctx: Context): DevChat {
  const [entry, externalUserid] = decodeURIComponent(ctx.cookies.get(DEV_CHAT_COOKIE) ?? '').split('|')
  if (entry === 'group_chat_tools') return { entry, externalUserid: null }
  if (entry === 'single_chat_tools' && externalUserid) return { entry, externalUserid }
  // A member chosen without a chat (the card button's recipient, 选择成员) is in WeCom, in no chat.
  return { entry: ctx.cookies.get(OAUTH_USER_COOKIE) ? 'normal' : 'single_chat_tools', externalUserid: null }
}

/**
 * A stand-in for the WeCom client's WeixinJSBridge (wecom-protocol.md §5), so that the demo
 * sidebar runs in a plain browser. Demo mode only: production pages never load it. It
 * answers for the chat the visitor chose, accepts any signature (the real check is WeCom's,
 * and the tests' fake host makes it), and shows what would have been sent into the chat.
 */
export function devBridgeScript(chat: DevChat): string {
  return `(() => {
  const chat = ${JSON.stringify(chat)}
  const show = (text) => {
    const note = document.createElement('div')
    note.setAttribute('role', 'status')
    note.style.cssText = 'position:fixed;left:8px;right:8px;bottom:8px;padding:8px;border-radius:6px;background:#1f2329;color:#fff;font-size:12px;white-space:pre-wrap;z-index:9'
    note.textContent = '（演示）已发送到聊天：' + text
    document.body.append(note)
    setTimeout(() => note.remove(), 4000)
  }
  const answer = (name, params) => {
    switch (name) {
      case 'preVerifyJSAPI': return { err_msg: 'config:ok' }
      case 'agentConfig': return { err_msg: 'agentConfig:ok', checkResult: {} }
      case 'getContext': return { err_msg: 'getContext:ok', entry: chat.entry }
      case 'getCurExternalContact':
        return chat.externalUserid ? { err_msg: 'getCurExternalContact:ok', userId: chat.externalUserid } : { err_msg: 'getCurExternalContact:fail_without context of external contact' }
      case 'sendChatMessage':
        show(params && params.text ? params.text.content : JSON.stringify(params))
        return { err_msg: 'sendChatMessage:ok' }
      default: return { err_msg: name + ':fail_function not exist' }
    }
  }
  window.WeixinJSBridge = {
    invoke(name, params, callback) { const result = answer(name, params); setTimeout(() => callback(result), 0) },
    on() {},
  }
  document.dispatchEvent(new Event('WeixinJSBridgeReady'))
})()
`
}
