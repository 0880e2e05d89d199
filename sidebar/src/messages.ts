/** Every Chinese text the sidebar shows, in one place. */
export const messages = {
  appTitle: '客户助手',
  loading: '正在打开客户资料…',
} as const
