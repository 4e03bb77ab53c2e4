// The situation tree walked in TS the way the backend walks it (core/domain catalogue.rs): a question, material
// or form field applies when ALL its `when` conditions hold. The screens need it before the backend answers —
// to show the next question at once and the material list the answers imply — while the backend stays the judge
// of what a case needs when it is saved and submitted.

import type { Condition, FieldDef, FormField, Grade, Item, Material, Question } from '../../backend/types'

export function applies(when: readonly Condition[] | undefined, answers: Readonly<Record<string, string>>): boolean {
  return (when ?? []).every((c) => answers[c.question] === c.option)
}

/** The questions shown for these answers, in catalogue order (conditions only point at earlier questions). */
export function visibleQuestions(item: Item, answers: Readonly<Record<string, string>>): Question[] {
  return item.questions.filter((q) => applies(q.when, answers))
}

/**
 * Answers to questions that no longer apply are dropped (the resident went back and changed an earlier answer):
 * the backend refuses answers to questions it does not ask (`application.not_asked`).
 */
export function pruneAnswers(item: Item, answers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const q of item.questions) {
    if (!applies(q.when, kept)) continue
    const a = answers[q.id]
    if (a !== undefined) kept[q.id] = a
  }
  return kept
}

export function visibleMaterials(item: Item, answers: Readonly<Record<string, string>>): Material[] {
  return item.materials.filter((m) => applies(m.when, answers))
}

export interface ShownField {
  def: FieldDef
  required: boolean
}

/** The form's fields for these answers, each with its definition from the catalogue's field list. */
export function visibleFields(
  item: Item,
  fields: readonly FieldDef[],
  answers: Readonly<Record<string, string>>,
): ShownField[] {
  const out: ShownField[] = []
  for (const f of item.form as FormField[]) {
    if (!applies(f.when, answers)) continue
    const def = fields.find((d) => d.code === f.field)
    if (def) out.push({ def, required: f.required })
  }
  return out
}

/** Reason codes offered per grade (the backend's lists); 基本满意 offers the good ones, none required. */
export const GOOD_REASONS = ['attitude_good', 'fast', 'one_visit', 'clear_guidance', 'professional'] as const
export const BAD_REASONS = [
  'attitude_bad',
  'long_wait',
  'many_visits',
  'unclear_materials',
  'slow',
  'system_fault',
] as const

export function isDissatisfied(grade: Grade | null): boolean {
  return grade === 'dissatisfied' || grade === 'very_dissatisfied'
}

export function reasonsFor(grade: Grade | null): readonly string[] {
  if (grade === null) return []
  return isDissatisfied(grade) ? BAD_REASONS : GOOD_REASONS
}

/** A rating may go once a grade is chosen, and for a dissatisfied grade once a reason is picked too. */
export function canRate(grade: Grade | null, reasons: readonly string[]): boolean {
  if (grade === null) return false
  return !isDissatisfied(grade) || reasons.length > 0
}

export const STEPS = ['login', 'questions', 'materials', 'form', 'capture', 'sign', 'submit', 'rating', 'done'] as const
export type Step = (typeof STEPS)[number]
