//! Structural validation: the parsed TOML (with spans) walked against the JSON Schema that
//! `schemars` derives from [`crate::model`].
//!
//! serde stops at the first mismatch and its positions are coarse, so it cannot be the validator.
//! Hand-writing a second description of the shape would drift from the types. Instead the schema
//! is generated from the types and this module interprets the small subset of JSON Schema that
//! schemars emits for them: `$ref`/`$defs`, `type`, `properties`, `required`,
//! `additionalProperties`, `items`, `enum`/`const`, `oneOf`/`anyOf` (nullable options, unit enums
//! and the `kind`-tagged printer transport) and `minimum`/`maximum` (plus the bounds implied by
//! `format: uint8/uint32/…`). Anything else in a schema is treated as "no constraint", so a richer
//! schema can never make this walker reject a profile serde would accept; the final serde pass in
//! [`crate::parse_profile`] guards the other direction.
//!
//! Besides findings, the walk records which values are broken ([`Structure::pruned`]). The
//! semantic pass works on a copy of the document with those values removed, so one wrong value
//! does not hide the other sections' rule violations.

use std::collections::{BTreeSet, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

use serde_json::Value;
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

use crate::error::codes;
use crate::model::Profile;
use crate::source::{Finding, KeyPath};
use crate::text::{excerpt, key_list, quoted_list, suggest};

/// The JSON Schema of [`Profile`], generated once.
pub(crate) fn profile_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| schemars::schema_for!(Profile).to_value())
}

/// What the structural walk found.
pub(crate) struct Structure {
    pub(crate) findings: Vec<Finding>,
    /// Paths whose values are structurally broken (or whose tables lack a required key).
    pub(crate) pruned: BTreeSet<KeyPath>,
}

/// Walk the whole document against the profile schema.
pub(crate) fn check_document(root: &Spanned<DeTable<'_>>) -> Structure {
    check_against(root, profile_schema())
}

pub(crate) fn check_against(root: &Spanned<DeTable<'_>>, schema: &Value) -> Structure {
    let mut walker = Walker {
        root_schema: schema,
        findings: Vec::new(),
        pruned: BTreeSet::new(),
    };
    walker.check_table(root.get_ref(), root.span(), schema, &KeyPath::root());
    Structure {
        findings: walker.findings,
        pruned: walker.pruned,
    }
}

/// A copy of the document without the pruned values.
pub(crate) fn pruned_copy<'i>(
    root: &Spanned<DeTable<'i>>,
    pruned: &BTreeSet<KeyPath>,
) -> Spanned<DeTable<'i>> {
    Spanned::new(
        root.span(),
        copy_table(root.get_ref(), &KeyPath::root(), pruned),
    )
}

fn copy_table<'i>(table: &DeTable<'i>, path: &KeyPath, pruned: &BTreeSet<KeyPath>) -> DeTable<'i> {
    let mut out = DeTable::new();
    for (key, value) in table.iter() {
        let child = path.key(key.get_ref());
        if !pruned.contains(&child) {
            out.insert(key.clone(), copy_value(value, &child, pruned));
        }
    }
    out
}

fn copy_value<'i>(
    value: &Spanned<DeValue<'i>>,
    path: &KeyPath,
    pruned: &BTreeSet<KeyPath>,
) -> Spanned<DeValue<'i>> {
    let touched = pruned.iter().any(|p| p.starts_with(path));
    match value.get_ref() {
        DeValue::Table(table) if touched => Spanned::new(
            value.span(),
            DeValue::Table(copy_table(table, path, pruned)),
        ),
        DeValue::Array(array) if touched => {
            let items: DeArray<'i> = array
                .iter()
                .enumerate()
                .filter(|(i, _)| !pruned.contains(&path.index(*i)))
                .map(|(i, item)| copy_value(item, &path.index(i), pruned))
                .collect();
            Spanned::new(value.span(), DeValue::Array(items))
        }
        _ => value.clone(),
    }
}

/// The schema `true`: accepts anything. Returned for unresolvable references.
static ANYTHING: Value = Value::Bool(true);

const MAX_REF_HOPS: usize = 32;

struct Walker<'s> {
    root_schema: &'s Value,
    findings: Vec<Finding>,
    pruned: BTreeSet<KeyPath>,
}

impl<'s> Walker<'s> {
    fn resolve(&self, mut schema: &'s Value) -> &'s Value {
        for _ in 0..MAX_REF_HOPS {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                return schema;
            };
            let target = if reference == "#" {
                Some(self.root_schema)
            } else {
                reference
                    .strip_prefix("#/$defs/")
                    .and_then(|name| self.root_schema.get("$defs")?.get(name))
            };
            match target {
                Some(target) => schema = target,
                None => return &ANYTHING,
            }
        }
        &ANYTHING
    }

    fn report(&mut self, span: Range<usize>, path: &KeyPath, code: &'static str, message: String) {
        self.findings.push(Finding {
            span,
            path: path.clone(),
            code,
            message,
        });
    }

    /// Report a broken value and drop it from the semantic pass.
    fn reject(&mut self, span: Range<usize>, path: &KeyPath, code: &'static str, message: String) {
        self.report(span, path, code, message);
        self.pruned.insert(path.clone());
    }

    fn check(&mut self, value: &Spanned<DeValue<'_>>, schema: &'s Value, path: &KeyPath) {
        let schema = self.resolve(schema);
        let alternatives = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array);
        if let Some(alternatives) = alternatives {
            let alternatives: Vec<&'s Value> = alternatives
                .iter()
                .map(|alt| self.resolve(alt))
                .filter(|alt| !is_null_schema(alt))
                .collect();
            return self.check_alternatives(value, &alternatives, path);
        }
        if let Some(choices) = string_choices(schema) {
            return self.check_choice(value, &choices, path);
        }
        let types = allowed_types(schema);
        if !types.is_empty() && !types.iter().any(|t| type_matches(value.get_ref(), t)) {
            let expected: Vec<&str> = types.iter().map(|t| json_type_name(t)).collect();
            return self.reject(
                value.span(),
                path,
                codes::WRONG_TYPE,
                format!(
                    "`{path}` must be {}, found {}",
                    expected.join(" or "),
                    value_type_name(value.get_ref())
                ),
            );
        }
        match value.get_ref() {
            DeValue::Table(table) => self.check_table(table, value.span(), schema, path),
            DeValue::Array(array) => {
                if let Some(items) = schema.get("items") {
                    for (i, item) in array.iter().enumerate() {
                        self.check(item, items, &path.index(i));
                    }
                }
            }
            DeValue::Integer(int) => {
                let parsed = i128::from_str_radix(int.as_str(), int.radix()).ok();
                self.check_range(value.span(), parsed, &int.to_string(), schema, path);
            }
            _ => {}
        }
    }

    fn check_alternatives(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        alternatives: &[&'s Value],
        path: &KeyPath,
    ) {
        match alternatives {
            [] => return,
            [single] => return self.check(value, single, path),
            _ => {}
        }
        let consts: Option<Vec<&'s str>> = alternatives
            .iter()
            .map(|alt| single_string_choice(alt))
            .collect();
        if let Some(choices) = consts {
            return self.check_choice(value, &choices, path);
        }
        if let Some((tag, variants)) = discriminator(alternatives) {
            return self.check_tagged(value, tag, &variants, path);
        }
        // General case (not emitted for the profile types today): the first alternative that
        // fits wins; otherwise report against the closest one, preferring alternatives of the
        // value's own type.
        let mut best: Option<((bool, usize), Walker<'s>)> = None;
        for alt in alternatives {
            let mut trial = Walker {
                root_schema: self.root_schema,
                findings: Vec::new(),
                pruned: BTreeSet::new(),
            };
            trial.check(value, alt, path);
            if trial.findings.is_empty() {
                return;
            }
            let types = allowed_types(alt);
            let other_type =
                !types.is_empty() && !types.iter().any(|t| type_matches(value.get_ref(), t));
            let score = (other_type, trial.findings.len());
            if best.as_ref().is_none_or(|(b, _)| score < *b) {
                best = Some((score, trial));
            }
        }
        if let Some((_, best)) = best {
            self.findings.extend(best.findings);
            self.pruned.extend(best.pruned);
        }
    }

    fn check_choice(&mut self, value: &Spanned<DeValue<'_>>, choices: &[&str], path: &KeyPath) {
        let allowed = quoted_list(choices.iter().copied());
        match value.get_ref().as_str() {
            None => self.reject(
                value.span(),
                path,
                codes::WRONG_TYPE,
                format!(
                    "`{path}` must be a string, one of: {allowed}; found {}",
                    value_type_name(value.get_ref())
                ),
            ),
            Some(s) if choices.contains(&s) => {}
            Some(s) => {
                let hint = match suggest(s, choices.iter().copied()) {
                    Some(close) => format!("did you mean {close:?}? "),
                    None => String::new(),
                };
                self.reject(
                    value.span(),
                    path,
                    codes::BAD_CHOICE,
                    format!(
                        "`{path}` = {} is not allowed; {hint}expected one of: {allowed}",
                        excerpt(s)
                    ),
                );
            }
        }
    }

    fn check_tagged(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        tag: &'s str,
        variants: &[(&'s str, &'s Value)],
        path: &KeyPath,
    ) {
        let allowed = quoted_list(variants.iter().map(|(name, _)| *name));
        let DeValue::Table(table) = value.get_ref() else {
            return self.reject(
                value.span(),
                path,
                codes::WRONG_TYPE,
                format!(
                    "`{path}` must be a table with `{tag}` = one of: {allowed}; found {}",
                    value_type_name(value.get_ref())
                ),
            );
        };
        let Some(tag_value) = table.get(tag) else {
            return self.reject(
                value.span(),
                &path.key(tag),
                codes::MISSING_KEY,
                format!("`{path}` is missing `{tag}`; expected one of: {allowed}"),
            );
        };
        let name = tag_value.get_ref().as_str();
        match name.and_then(|name| variants.iter().find(|(n, _)| *n == name)) {
            Some((_, variant)) => self.check_table(table, value.span(), variant, path),
            None => {
                let choices: Vec<&str> = variants.iter().map(|(n, _)| *n).collect();
                self.check_choice(tag_value, &choices, &path.key(tag));
                self.pruned.insert(path.clone());
            }
        }
    }

    fn check_table(
        &mut self,
        table: &DeTable<'_>,
        span: Range<usize>,
        schema: &'s Value,
        path: &KeyPath,
    ) {
        let schema = self.resolve(schema);
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let known: Vec<&'s str> = properties
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut suggested: HashSet<&'s str> = HashSet::new();
        let where_ = if path.0.is_empty() {
            "at the top level".to_owned()
        } else {
            format!("in `{path}`")
        };

        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            let child = path.key(name);
            if let Some(property) = properties.and_then(|p| p.get(name)) {
                self.check(value, property, &child);
                continue;
            }
            match additional {
                Some(Value::Bool(false)) => {
                    let hint = match suggest(name, known.iter().copied()) {
                        Some(close) => {
                            suggested.insert(close);
                            format!("did you mean `{close}`?")
                        }
                        None if known.is_empty() => "no keys are allowed here".to_owned(),
                        None => format!("expected one of: {}", key_list(known.iter().copied())),
                    };
                    self.reject(
                        key.span(),
                        &child,
                        codes::UNKNOWN_KEY,
                        format!("unknown key `{}` {where_}; {hint}", excerpt_key(name)),
                    );
                }
                Some(extra @ Value::Object(_)) => self.check(value, extra, &child),
                _ => {}
            }
        }

        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect::<Vec<_>>())
            .unwrap_or_default();
        let mut incomplete = false;
        for key in required {
            if table.contains_key(key) {
                continue;
            }
            incomplete = true;
            if suggested.contains(key) {
                // The misspelt key was already reported with this name as the suggestion.
                continue;
            }
            self.report(
                span.clone(),
                &path.key(key),
                codes::MISSING_KEY,
                format!("missing required key `{key}` {where_}"),
            );
        }
        if incomplete && !path.0.is_empty() {
            self.pruned.insert(path.clone());
        }
    }

    fn check_range(
        &mut self,
        span: Range<usize>,
        value: Option<i128>,
        shown: &str,
        schema: &Value,
        path: &KeyPath,
    ) {
        let (format_min, format_max) = format_bounds(schema.get("format").and_then(Value::as_str));
        let min = max_opt(schema_bound(schema.get("minimum")), format_min);
        let max = min_opt(schema_bound(schema.get("maximum")), format_max);
        let in_range =
            value.is_some_and(|v| min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m));
        if in_range {
            return;
        }
        let allowed = match (min, max) {
            (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
            (Some(lo), None) => format!("at least {lo}"),
            (None, Some(hi)) => format!("at most {hi}"),
            (None, None) => "a 128-bit integer".to_owned(),
        };
        self.reject(
            span,
            path,
            codes::OUT_OF_RANGE,
            format!("`{path}` = {shown} is out of range; allowed: {allowed}"),
        );
    }
}

fn excerpt_key(key: &str) -> String {
    let quoted = excerpt(key);
    // `excerpt` quotes; keys read better bare when they are plain.
    if key.chars().count() <= 60
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !key.is_empty()
    {
        key.to_owned()
    } else {
        quoted
    }
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// `{"const": "x"}` or `{"enum": ["x"]}` → `"x"`.
fn single_string_choice(schema: &Value) -> Option<&str> {
    if let Some(c) = schema.get("const") {
        return c.as_str();
    }
    match schema.get("enum").and_then(Value::as_array)?.as_slice() {
        [only] => only.as_str(),
        _ => None,
    }
}

/// `{"enum": [..strings..]}` or `{"const": "x"}` → the allowed strings.
fn string_choices(schema: &Value) -> Option<Vec<&str>> {
    if let Some(c) = schema.get("const") {
        return c.as_str().map(|c| vec![c]);
    }
    schema
        .get("enum")?
        .as_array()?
        .iter()
        .map(Value::as_str)
        .collect()
}

/// For object alternatives that all pin the same property to a constant (serde's internally
/// tagged enums): that property's name and each alternative by its constant.
fn discriminator<'s>(alternatives: &[&'s Value]) -> Option<(&'s str, Vec<(&'s str, &'s Value)>)> {
    let first = alternatives.first()?.get("properties")?.as_object()?;
    first.iter().find_map(|(tag, prop)| {
        single_string_choice(prop)?;
        let variants: Option<Vec<_>> = alternatives
            .iter()
            .map(|alt| {
                let name = single_string_choice(alt.get("properties")?.get(tag)?)?;
                Some((name, *alt))
            })
            .collect();
        variants.map(|v| (tag.as_str(), v))
    })
}

fn allowed_types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) if t != "null" => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    }
}

fn type_matches(value: &DeValue<'_>, json_type: &str) -> bool {
    match json_type {
        "string" => matches!(value, DeValue::String(_)),
        "integer" => matches!(value, DeValue::Integer(_)),
        "number" => matches!(value, DeValue::Integer(_) | DeValue::Float(_)),
        "boolean" => matches!(value, DeValue::Boolean(_)),
        "array" => matches!(value, DeValue::Array(_)),
        "object" => matches!(value, DeValue::Table(_)),
        // Unknown type names constrain nothing (see the module docs).
        _ => true,
    }
}

fn json_type_name(json_type: &str) -> &str {
    match json_type {
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean (true or false)",
        "array" => "an array",
        "object" => "a table",
        other => other,
    }
}

pub(crate) fn value_type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn schema_bound(bound: Option<&Value>) -> Option<i128> {
    let bound = bound?;
    bound
        .as_i64()
        .map(i128::from)
        .or_else(|| bound.as_u64().map(i128::from))
        // Fractional bounds never come from the profile types; truncating is the safe reading.
        .or_else(|| bound.as_f64().map(|f| f as i128))
}

fn format_bounds(format: Option<&str>) -> (Option<i128>, Option<i128>) {
    let bounds = |min: i128, max: i128| (Some(min), Some(max));
    match format {
        Some("uint8") => bounds(0, u8::MAX.into()),
        Some("uint16") => bounds(0, u16::MAX.into()),
        Some("uint32") | Some("uint") => bounds(0, u32::MAX.into()),
        Some("uint64") => bounds(0, u64::MAX.into()),
        Some("int8") => bounds(i8::MIN.into(), i8::MAX.into()),
        Some("int16") => bounds(i16::MIN.into(), i16::MAX.into()),
        Some("int32") | Some("int") => bounds(i32::MIN.into(), i32::MAX.into()),
        Some("int64") => bounds(i64::MIN.into(), i64::MAX.into()),
        _ => (None, None),
    }
}

fn max_opt(a: Option<i128>, b: Option<i128>) -> Option<i128> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn min_opt(a: Option<i128>, b: Option<i128>) -> Option<i128> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether a key path names an array element somewhere (used by tests).
#[cfg(test)]
fn has_index(path: &KeyPath) -> bool {
    use crate::source::Seg;
    path.0.iter().any(|s| matches!(s, Seg::Index(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn walk(src: &str, schema: &Value) -> Structure {
        let Ok(doc) = DeTable::parse(src) else {
            panic!("test document parses: {src}");
        };
        check_against(&doc, schema)
    }

    fn codes_of(s: &Structure) -> Vec<&'static str> {
        s.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn profile_schema_is_generated_from_types() {
        let schema = profile_schema();
        assert_eq!(schema["title"], "Profile");
        assert_eq!(schema["additionalProperties"], false);
        assert!(schema["$defs"]["EscPosTransport"]["oneOf"].is_array());
    }

    #[test]
    fn unknown_keys_get_suggestions_and_suppress_the_missing_twin() {
        let schema = json!({
            "type": "object",
            "properties": {"address": {"type": "string"}},
            "required": ["address"],
            "additionalProperties": false
        });
        let s = walk("adress = \"x\"\n", &schema);
        assert_eq!(codes_of(&s), [codes::UNKNOWN_KEY]);
        assert!(s.findings[0].message.contains("did you mean `address`?"));
        assert_eq!(s.findings[0].span, 0..6);
    }

    #[test]
    fn integer_bounds_come_from_format_and_range() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "integer", "format": "uint8"},
                "b": {"type": "integer", "format": "uint32", "minimum": 10, "maximum": 20},
                "c": {"type": "integer", "format": "uint64"}
            }
        });
        let s = walk(
            "a = 256\nb = 21\nc = 99999999999999999999999999999999999999999\n",
            &schema,
        );
        assert_eq!(codes_of(&s), vec![codes::OUT_OF_RANGE; 3]);
        assert!(s.findings[1].message.contains("allowed: 10 to 20"));
        let ok = walk("a = 255\nb = 0x0A\nc = 0\n", &schema);
        assert!(ok.findings.is_empty(), "{:?}", ok.findings);
    }

    #[test]
    fn unresolvable_refs_and_unknown_keywords_accept_anything() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/Missing"}, "b": {"type": "weird"}},
            "additionalProperties": false
        });
        let s = walk("a = 1\nb = [1]\n", &schema);
        assert!(s.findings.is_empty());
    }

    #[test]
    fn general_alternatives_pick_the_closest() {
        let schema = json!({
            "type": "object",
            "properties": {"v": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "integer"}}]}}
        });
        assert!(walk("v = \"x\"\n", &schema).findings.is_empty());
        assert!(walk("v = [1, 2]\n", &schema).findings.is_empty());
        let s = walk("v = [1, \"two\"]\n", &schema);
        assert_eq!(codes_of(&s), [codes::WRONG_TYPE]);
        assert!(has_index(&s.findings[0].path));
    }

    #[test]
    fn pruned_copy_drops_broken_values_only() {
        let src = "a = [1, \"x\", 3]\n[t]\nk = 1\nbad = true\n";
        let Ok(doc) = DeTable::parse(src) else {
            panic!("parses");
        };
        let mut pruned = BTreeSet::new();
        pruned.insert(KeyPath::of("a").index(1));
        pruned.insert(KeyPath::of("t.bad"));
        let copy = pruned_copy(&doc, &pruned);
        let a = copy.get_ref().get("a").and_then(|v| v.get_ref().as_array());
        assert_eq!(a.map(|a| a.len()), Some(2));
        let t = copy.get_ref().get("t").and_then(|v| v.get_ref().as_table());
        assert_eq!(t.map(|t| t.len()), Some(1));
    }
}
