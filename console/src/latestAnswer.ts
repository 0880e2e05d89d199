import { ref, type Ref } from 'vue'
import { problemText } from './api'

/**
 * An answer asked for again and again (a team picked, a search typed): only the latest ask's
 * answer is kept, so a slower answer to an earlier ask never replaces one asked since.
 * `keepOnError`: a failed ask leaves the last answer on show (a list being searched) instead
 * of clearing it (a team's figures, which must not pass for another team's).
 */
export function useLatestAnswer<T>({ keepOnError = false } = {}) {
  const answer = ref(null) as Ref<T | null>
  const problem = ref('')
  const loading = ref(false)
  let asked = 0

  /** Runs `ask`; resolves to its answer, or null when it failed or a later ask overtook it. */
  async function load(ask: () => Promise<T>): Promise<T | null> {
    const mine = ++asked
    loading.value = true
    problem.value = ''
    try {
      const value = await ask()
      if (mine !== asked) return null
      answer.value = value
      return value
    } catch (error) {
      if (mine === asked) {
        if (!keepOnError) answer.value = null
        problem.value = problemText(error)
      }
      return null
    } finally {
      if (mine === asked) loading.value = false
    }
  }

  return { answer, problem, loading, load }
}
