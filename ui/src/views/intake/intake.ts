// Rules of the clerk's intake workspace that are not about rendering: which cases still await a decision, the
// catalogue filter of the new-case search, the applicant typed in by field staff, and the decision dialog's dates.

import type { ApplicantInput, CaseStatus, Decision, Item } from '../../backend/types'

/** A case awaits the window's decision (受理/容缺受理/不予受理/补齐补正) in these states. */
export const AWAITING_DECISION: readonly CaseStatus[] = [
  'draft',
  'submitted',
  'handed_over',
  'pre_review',
  'pre_review_passed',
  'accepting',
  'correction_requested',
]

export function awaitsDecision(status: CaseStatus): boolean {
  return AWAITING_DECISION.includes(status)
}

export type DecisionKind = Decision['decision']
export const DECISION_KINDS: readonly DecisionKind[] = ['accept', 'accept_with_missing', 'reject', 'request_correction']

/** Default dates of the decision dialog: 容缺 materials are promised within 10 days, a correction within 15. */
export const PROMISE_DAYS = 10
export const CORRECTION_DAYS = 15

/** `YYYY-MM-DD` of the terminal's local day `days` after `from` (what an `<input type="date">` holds). */
export function isoDatePlus(days: number, from: Date = new Date()): string {
  const d = new Date(from.getFullYear(), from.getMonth(), from.getDate() + days)
  const mm = String(d.getMonth() + 1).padStart(2, '0')
  const dd = String(d.getDate()).padStart(2, '0')
  return `${d.getFullYear()}-${mm}-${dd}`
}

export function isIsoDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s)
}

/**
 * Resident ID number: 18 characters, 17 digits then a digit or X. Only the format is checked (the UI has no check
 * digit helper); the backend checks the number itself. A lower-case x is accepted and sent upper-case.
 */
export function normaliseIdNumber(raw: string): string {
  return raw.trim().toUpperCase()
}

export function isIdNumberFormat(raw: string): boolean {
  return /^\d{17}[\dX]$/.test(normaliseIdNumber(raw))
}

/** The applicant typed in by field staff, or null while the name or the ID number is not usable. */
export function typedApplicant(name: string, idNumber: string): ApplicantInput | null {
  const n = name.trim()
  if (n === '' || !isIdNumberFormat(idNumber)) return null
  return { name: n, id_number: normaliseIdNumber(idNumber) }
}

/**
 * The new-case search: items (withdrawn ones left out) whose name contains the query, whose pinyin initials start
 * with or contain it, or whose code contains it. Name matches first, then pinyin, then code; catalogue order within.
 */
export function filterItems(items: readonly Item[], query: string, limit = 20): Item[] {
  const q = query.trim().toLowerCase()
  const live = items.filter((i) => !i.withdrawn)
  if (q === '') return []
  const rank = (i: Item): number => {
    if (i.name.toLowerCase().includes(q)) return 0
    if (i.pinyin.toLowerCase().startsWith(q)) return 1
    if (i.pinyin.toLowerCase().includes(q)) return 2
    if (i.code.toLowerCase().includes(q)) return 3
    return -1
  }
  return live
    .map((item, at) => ({ item, at, r: rank(item) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.at - b.at)
    .slice(0, limit)
    .map((x) => x.item)
}

/** Fields the terminal fills from the ID card are shown, not typed: the card is the source. */
export function fromCard(prefill: string | null): boolean {
  return prefill !== null && prefill.startsWith('card_')
}
