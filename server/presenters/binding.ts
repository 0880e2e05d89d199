import type { BindingResult } from '../api/contract'

/** The outcome of a manual binding: how many orders it matched. */
export const presentBinding = ({ matched }: { matched: number }): BindingResult => ({ matched })
