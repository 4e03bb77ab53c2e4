// The profile authoring form's model: which fields to offer, read from the profile's JSON Schema (as schemars
// writes it), and how a field's value is read from and written into the profile's TOML text.
//
// The schema comes from the backend rather than a copy in the UI, so a new setting in the Rust model shows up in the
// form without a UI change. Only the plain, commonly changed settings get a form field (strings, numbers with their
// bounds, booleans, enums, lists of strings); everything else (queue categories, devices) is edited in the raw TOML.

import { parse, stringify, TomlError } from 'smol-toml'
import type { JsonSchema } from '../../backend/types'

/** Pause in typing before the text is sent to the validator. */
export const VALIDATE_DELAY_MS = 300

/** The top-level sections the form covers, in display order. */
export const FORM_SECTIONS = ['ui', 'queue', 'sync', 'lockdown', 'security', 'sdk'] as const

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'enum' | 'list'

export interface ProfileField {
  section: string
  key: string
  kind: FieldKind
  /** The schema's description (the Rust doc comment, English). */
  description: string
  min: number | null
  max: number | null
  /** enum: the allowed values */
  options: string[]
  /** Absent from the TOML is allowed (optional or defaulted): clearing the field removes the key. */
  optional: boolean
  /** The default the backend applies when the key is absent, if the schema names one. */
  defaultValue: unknown
}

type Node = Record<string, unknown>

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Bounds implied by schemars' integer formats, for fields without an explicit range. */
const FORMAT_BOUNDS: Record<string, [number, number]> = {
  uint8: [0, 255],
  uint16: [0, 65_535],
  uint32: [0, 4_294_967_295],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  uint: [0, Number.MAX_SAFE_INTEGER],
  int8: [-128, 127],
  int16: [-32_768, 32_767],
  int32: [-2_147_483_648, 2_147_483_647],
}

class SchemaReader {
  constructor(private readonly root: Node) {}

  /** Follow `$ref` (`#/$defs/X` or `#/definitions/X`) and single-entry `allOf` wrappers, keeping local keys. */
  resolve(node: unknown, depth = 0): Node {
    if (!isNode(node) || depth > 16) return {}
    let out: Node = node
    const ref = out.$ref
    if (typeof ref === 'string' && ref.startsWith('#/')) {
      let target: unknown = this.root
      for (const part of ref.slice(2).split('/')) target = isNode(target) ? target[part] : undefined
      const rest: Node = { ...out }
      delete rest.$ref
      out = { ...this.resolve(target, depth + 1), ...rest }
    }
    const allOf = out.allOf
    if (Array.isArray(allOf) && allOf.length === 1) {
      const rest: Node = { ...out }
      delete rest.allOf
      out = { ...this.resolve(allOf[0], depth + 1), ...rest }
    }
    return out
  }

  /** Strip `null` from a nullable schema (`anyOf`/`oneOf` with a null option, or a type list with "null"). */
  unwrapNullable(node: Node): { node: Node; nullable: boolean } {
    for (const key of ['anyOf', 'oneOf'] as const) {
      const options = node[key]
      if (!Array.isArray(options)) continue
      const resolved = options.map((o) => this.resolve(o))
      const rest = resolved.filter((o) => o.type !== 'null')
      if (rest.length === 1 && rest.length < resolved.length) {
        const outer: Node = { ...node }
        delete outer[key]
        return { node: { ...rest[0], ...outer }, nullable: true }
      }
    }
    if (Array.isArray(node.type) && node.type.includes('null')) {
      const types = node.type.filter((t) => t !== 'null')
      return { node: { ...node, type: types.length === 1 ? types[0] : types }, nullable: true }
    }
    return { node, nullable: false }
  }

  /** Unit enums: `enum: [...]`, or `oneOf`/`anyOf` of `const` (or one-value `enum`) entries. */
  enumValues(node: Node): string[] | null {
    if (Array.isArray(node.enum) && node.enum.every((v) => typeof v === 'string')) return node.enum as string[]
    for (const key of ['oneOf', 'anyOf'] as const) {
      const options = node[key]
      if (!Array.isArray(options) || options.length === 0) continue
      const values: string[] = []
      for (const option of options.map((o) => this.resolve(o))) {
        if (typeof option.const === 'string') values.push(option.const)
        else if (Array.isArray(option.enum) && option.enum.every((v) => typeof v === 'string')) {
          values.push(...(option.enum as string[]))
        } else return null
      }
      return values
    }
    return null
  }
}

function numberOr(v: unknown, fallback: number | null): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback
}

/** The form fields of `sections` that the schema describes with a plain type; other properties are left out. */
export function profileFields(schema: JsonSchema, sections: readonly string[] = FORM_SECTIONS): ProfileField[] {
  const reader = new SchemaReader(schema)
  const root = reader.resolve(schema)
  const rootProps = isNode(root.properties) ? root.properties : {}
  const fields: ProfileField[] = []
  for (const section of sections) {
    const { node: sectionNode } = reader.unwrapNullable(reader.resolve(rootProps[section]))
    const props = isNode(sectionNode.properties) ? sectionNode.properties : null
    if (!props) continue
    const required = new Set(Array.isArray(sectionNode.required) ? (sectionNode.required as string[]) : [])
    const sectionDefaults = isNode(sectionNode.default) ? sectionNode.default : {}
    for (const [key, raw] of Object.entries(props)) {
      const resolved = reader.resolve(raw)
      const { node, nullable } = reader.unwrapNullable(resolved)
      const description = typeof node.description === 'string' ? node.description : ''
      const defaultValue = node.default !== undefined ? node.default : sectionDefaults[key]
      const optional = nullable || !required.has(key) || defaultValue !== undefined
      const base = { section, key, description, optional, defaultValue, min: null, max: null, options: [] }
      const options = reader.enumValues(node)
      if (options) {
        fields.push({ ...base, kind: 'enum', options })
        continue
      }
      const type = node.type
      if (type === 'boolean') fields.push({ ...base, kind: 'boolean' })
      else if (type === 'integer' || type === 'number') {
        const bounds = typeof node.format === 'string' ? FORMAT_BOUNDS[node.format] : undefined
        fields.push({
          ...base,
          kind: type,
          min: numberOr(node.minimum, bounds?.[0] ?? null),
          max: numberOr(node.maximum, bounds?.[1] ?? null),
        })
      } else if (type === 'string') fields.push({ ...base, kind: 'string' })
      else if (type === 'array') {
        const items = reader.resolve(node.items)
        if (items.type === 'string') fields.push({ ...base, kind: 'list' })
      }
    }
  }
  return fields
}

export type TomlDoc = Record<string, unknown>

/** Parse the profile text; the error carries 1-based line and column. */
export function parseToml(text: string): { doc: TomlDoc } | { error: { line: number; column: number; message: string } } {
  try {
    return { doc: parse(text) as TomlDoc }
  } catch (err) {
    if (err instanceof TomlError) return { error: { line: err.line, column: err.column, message: err.message.split('\n')[0] ?? '' } }
    return { error: { line: 1, column: 1, message: String(err) } }
  }
}

/** The field's current value in the document, or undefined when the key is absent. */
export function readField(doc: TomlDoc, field: ProfileField): unknown {
  const section = doc[field.section]
  return isNode(section) ? section[field.key] : undefined
}

/** Text shown in the field's input for a value (lists as comma lists). */
export function fieldText(field: ProfileField, value: unknown): string {
  if (value === undefined || value === null) return ''
  if (field.kind === 'list') return Array.isArray(value) ? value.map(String).join(', ') : String(value)
  return String(value)
}

/**
 * The TOML value for what was typed: numbers parsed (NaN stays as text so the validator names the problem),
 * comma lists split and trimmed. `undefined` means "remove the key" (an empty optional field).
 */
export function fieldValue(field: ProfileField, input: string | boolean): unknown {
  if (field.kind === 'boolean') return Boolean(input)
  const text = String(input).trim()
  if (text === '' && field.kind !== 'list') return field.optional ? undefined : ''
  switch (field.kind) {
    case 'integer':
    case 'number': {
      const n = Number(text)
      return Number.isFinite(n) && (field.kind === 'number' || Number.isInteger(n)) ? n : text
    }
    case 'list':
      return text === ''
        ? []
        : text
            .split(/[,，]/)
            .map((s) => s.trim())
            .filter((s) => s !== '')
    default:
      return text
  }
}

/**
 * Write one field into the document and give the new TOML text. An `undefined` value removes the key, and a
 * section left empty is removed too (an empty `[sync]` would not be a valid sync setting).
 */
export function writeField(doc: TomlDoc, field: ProfileField, value: unknown): string {
  const next: TomlDoc = { ...doc }
  const section: Record<string, unknown> = isNode(next[field.section]) ? { ...(next[field.section] as Node) } : {}
  if (value === undefined) delete section[field.key]
  else section[field.key] = value
  if (Object.keys(section).length === 0) delete next[field.section]
  else next[field.section] = section
  return stringify(next)
}

/** Change the profile's `mode` (the group's mode) in the text, keeping the rest of the document. */
export function withMode(text: string, mode: string): string | null {
  const parsed = parseToml(text)
  if ('error' in parsed) return null
  if (parsed.doc.mode === mode) return text
  return stringify({ ...parsed.doc, mode })
}
