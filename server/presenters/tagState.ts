import type { TagState } from '../api/contract'

/** A tag's state on a follow after the member changed it. */
export const presentTagState = (marked: boolean): TagState => ({ marked })
