// Masking of personal data for display (个人信息脱敏). Screens that show an applicant's identity to anyone but the
// applicant use these; the full values never need to reach the DOM.

/**
 * 18-digit resident ID (or 15-digit legacy): keep the first 4 (province + city) and last 4 characters.
 * maskIdNumber('460100199001011234') === '4601**********1234'
 */
export function maskIdNumber(id: string): string {
  const s = id.trim()
  if (s.length <= 8) return '*'.repeat(s.length)
  return s.slice(0, 4) + '*'.repeat(s.length - 8) + s.slice(-4)
}

/**
 * Chinese names: keep the first and last character ('张三丰' → '张*丰'); two characters keep the family name
 * ('张三' → '张*'). Latin names keep the first letter of each word.
 */
export function maskName(name: string): string {
  const chars = Array.from(name.trim())
  if (chars.length === 0) return ''
  if (/\s/.test(name.trim())) {
    return name
      .trim()
      .split(/\s+/)
      .map((w) => {
        const c = Array.from(w)
        return c[0] + '*'.repeat(Math.max(c.length - 1, 1))
      })
      .join(' ')
  }
  if (chars.length === 1) return '*'
  if (chars.length === 2) return `${chars[0]}*`
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1]
}

/** Mobile number: 138****5678. */
export function maskPhone(phone: string): string {
  const s = phone.trim()
  if (s.length < 7) return '*'.repeat(s.length)
  return s.slice(0, 3) + '*'.repeat(s.length - 7) + s.slice(-4)
}
