/**
 * The demo page's one script, served as a file so that the page's CSP can stay
 * `script-src 'self'` (no inline scripts or handlers). In forms marked data-follow-filter it
 * lists only the chosen member's customers; without it the forms still work, and the server
 * refuses a member and a customer who are not friends with a reason.
 */
export const DEMO_PAGE_SCRIPT_PATH = '/demo-page.js'

export const DEMO_PAGE_SCRIPT = `(() => {
  for (const form of document.querySelectorAll('form[data-follow-filter]')) {
    const member = form.querySelector('select[name="userid"]')
    const customer = form.querySelector('select[name="externalUserid"]')
    if (!member || !customer) continue
    const narrow = () => {
      for (const option of customer.options) {
        // Options without data-followers (a group chat) fit every member.
        if (option.dataset.followers === undefined) continue
        const theirs = option.dataset.followers.split(' ').includes(member.value)
        option.hidden = !theirs
        option.disabled = !theirs
      }
      const chosen = customer.options[customer.selectedIndex]
      if (!chosen || chosen.disabled) {
        const first = [...customer.options].find((option) => !option.disabled)
        if (first) customer.value = first.value
      }
    }
    member.addEventListener('change', narrow)
    narrow()
  }
})()
`
