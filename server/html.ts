/** Text made safe for HTML element content and quoted attribute values: what people typed is never markup. */
export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}
