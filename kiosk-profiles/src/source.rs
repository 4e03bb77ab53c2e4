//! Positions in the profile text: key paths, byte spans and their line:column.
//!
//! The TOML parser gives byte ranges; people and editors want 1-based line:column. Columns count
//! Unicode scalar values, so `outlet = "海口…"` points at the character a person sees, not at a
//! byte in the middle of a UTF-8 sequence. Every lookup here is total: out-of-range or
//! non-boundary offsets are clamped, never a panic.

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A path from the document root to a value, e.g. `queue.categories[1].code`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct KeyPath(pub(crate) Vec<Seg>);

impl KeyPath {
    pub(crate) fn root() -> Self {
        KeyPath(Vec::new())
    }

    /// Parse a literal dotted path written in this crate (`"devices.ticket_printer"`); only for
    /// paths with bare keys, which is all the rules need.
    pub(crate) fn of(dotted: &str) -> Self {
        KeyPath(
            dotted
                .split('.')
                .filter(|s| !s.is_empty())
                .map(|s| Seg::Key(s.to_owned()))
                .collect(),
        )
    }

    pub(crate) fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Seg::Key(key.to_owned()));
        next
    }

    pub(crate) fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Seg::Index(index));
        next
    }

    pub(crate) fn starts_with(&self, prefix: &KeyPath) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

fn is_bare_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_bare_key(key) {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
                Seg::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// An issue before it is given a line:column: where (byte span), which key, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) span: Range<usize>,
    pub(crate) path: KeyPath,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

/// Maps byte offsets to 1-based line:column.
pub(crate) struct LineIndex<'s> {
    source: &'s str,
    line_starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    pub(crate) fn new(source: &'s str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            source
                .char_indices()
                .filter(|(_, c)| *c == '\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            source,
            line_starts,
        }
    }

    /// 1-based (line, column) of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.source.len());
        while offset > 0 && !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .source
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        (line, column)
    }
}

/// Finds spans of values and keys in the parsed (unpruned) document by path.
pub(crate) struct Locator<'a, 'i> {
    root: &'a Spanned<DeTable<'i>>,
}

impl<'a, 'i> Locator<'a, 'i> {
    pub(crate) fn new(root: &'a Spanned<DeTable<'i>>) -> Self {
        Locator { root }
    }

    /// The value at `path`, if the document has it.
    pub(crate) fn get(&self, path: &KeyPath) -> Option<&'a Spanned<DeValue<'i>>> {
        let mut segs = path.0.iter();
        let mut current = match segs.next()? {
            Seg::Key(key) => self.root.get_ref().get(key.as_str())?,
            Seg::Index(_) => return None,
        };
        for seg in segs {
            current = match (seg, current.get_ref()) {
                (Seg::Key(key), DeValue::Table(table)) => table.get(key.as_str())?,
                (Seg::Index(index), DeValue::Array(array)) => array.get(*index)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// Span of the key that names the value at `path` (falls back like [`Locator::span`]).
    pub(crate) fn key_span(&self, path: &KeyPath) -> Range<usize> {
        if let Some((Seg::Key(key), parent)) = path.0.split_last() {
            let table = if parent.is_empty() {
                Some(self.root.get_ref())
            } else {
                self.get(&KeyPath(parent.to_vec()))
                    .and_then(|v| v.get_ref().as_table())
            };
            if let Some((key, _)) = table.and_then(|t| t.get_key_value(key.as_str())) {
                return key.span();
            }
        }
        self.span(path)
    }

    /// Whether the document spells out `path`.
    pub(crate) fn has(&self, path: &KeyPath) -> bool {
        self.get(path).is_some()
    }

    /// Span of the value at `path`, or of its deepest ancestor present in the document (the root
    /// has span `0..0`, i.e. line 1 column 1).
    pub(crate) fn span(&self, path: &KeyPath) -> Range<usize> {
        for len in (1..=path.0.len()).rev() {
            let prefix = KeyPath(path.0[..len].to_vec());
            if let Some(value) = self.get(&prefix) {
                return value.span();
            }
        }
        self.root.span()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let src = "a = 1\nname = \"海口\" # x\n\nlast";
        let index = LineIndex::new(src);
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(4), (1, 5));
        assert_eq!(index.position(6), (2, 1));
        let after_han = src.find(" # x").unwrap_or(0);
        assert_eq!(index.position(after_han), (2, 12));
        // Inside a multi-byte character: clamps back to its start.
        let han = src.find('海').unwrap_or(0);
        assert_eq!(index.position(han + 1), index.position(han));
        assert_eq!(index.position(src.len() + 100), (4, 5));
        assert_eq!(LineIndex::new("").position(3), (1, 1));
    }

    #[test]
    fn key_paths_render_like_toml() {
        let path = KeyPath::of("queue.categories")
            .index(2)
            .key("name")
            .key("zh-CN");
        assert_eq!(path.to_string(), "queue.categories[2].name.zh-CN");
        assert_eq!(KeyPath::root().key("a.b").to_string(), "\"a.b\"");
        assert!(path.starts_with(&KeyPath::of("queue")));
    }

    #[test]
    fn locator_falls_back_to_ancestors() {
        let src = "[ui]\nlanguages = [\"en\"]\n";
        let Ok(doc) = DeTable::parse(src) else {
            panic!("test document parses");
        };
        let locator = Locator::new(&doc);
        let index = LineIndex::new(src);
        let at = |p: &str| index.position(locator.span(&KeyPath::of(p)).start);
        assert_eq!(at("ui.languages"), (2, 13));
        let key_at = index.position(locator.key_span(&KeyPath::of("ui.languages")).start);
        assert_eq!(key_at, (2, 1));
        let missing_key_at = index.position(locator.key_span(&KeyPath::of("ui.theme")).start);
        assert_eq!(missing_key_at, (1, 1));
        assert_eq!(at("ui.default_language"), (1, 1));
        assert_eq!(at("devices.ticket_printer"), (1, 1));
        assert!(locator.has(&KeyPath::of("ui")));
        assert!(!locator.has(&KeyPath::of("sync")));
    }
}
