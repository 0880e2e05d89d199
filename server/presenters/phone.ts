/** A phone number as API responses show it (SPEC §5): 13800000001 → 138****0001. */
export function maskPhone(phone: string): string {
  const digits = phone.trim()
  if (digits.length < 7) return '*'.repeat(digits.length)
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`
}
