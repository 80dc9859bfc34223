//! Errors in lab and answers files: `file:line:column: message`, the source line and a caret,
//! for YAML errors (from serde-saphyr, reworded) and for semantic ones found after parsing.

use std::fmt::Write as _;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_saphyr::{Location, MessageFormatter, Spanned};

use crate::error::{Error, suggest};

/// One problem at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// The problems found in one file; [`Diags::finish`] turns them into one error.
#[derive(Debug)]
pub struct Diags<'a> {
    file: &'a str,
    source: &'a str,
    list: Vec<Diag>,
}

impl<'a> Diags<'a> {
    pub fn new(file: &'a str, source: &'a str) -> Diags<'a> {
        Diags { file, source, list: Vec::new() }
    }

    /// Records `message` at `loc` (1:1 when the location is unknown). A message quoting a huge
    /// value is shortened, so that a hostile file cannot make each diagnostic megabytes long.
    pub fn at(&mut self, loc: &Location, message: impl Into<String>) {
        let message = shorten(message.into(), MAX_MESSAGE);
        self.list.push(Diag { line: loc.line().max(1), column: loc.column().max(1), message });
    }

    /// Records `message` at the value of `spanned`.
    pub fn on<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        self.at(&spanned.referenced, message);
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// `Ok` when nothing was recorded, else every problem, in file order, as one error.
    pub fn finish(mut self) -> Result<(), Error> {
        if self.list.is_empty() {
            return Ok(());
        }
        self.list.sort_by_key(|d| (d.line, d.column));
        self.list.dedup();
        Err(Error::Yaml { rendered: render(self.file, self.source, &self.list) })
    }
}

/// Diagnostics shown in full; the rest are counted. A hostile file can hold thousands of
/// mistakes (each shown with its line), and the first few are what an author fixes first.
pub const MAX_SHOWN: usize = 20;
/// The most characters of one message, and of one source line in a snippet.
const MAX_MESSAGE: usize = 300;
const MAX_SNIPPET: usize = 100;

/// `s` cut to at most `max` characters, with `…` where it was cut.
fn shorten(s: String, max: usize) -> String {
    if s.chars().nth(max).is_none() {
        return s;
    }
    let mut cut: String = s.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// Renders diagnostics one after the other, the first [`MAX_SHOWN`] in full; more than one ends
/// with a count.
pub fn render(file: &str, source: &str, diags: &[Diag]) -> String {
    let mut out = String::new();
    // Lines are found in one pass over the source, however many diagnostics point into it.
    let mut lines = source.lines();
    let (mut at, mut text) = (0u64, None);
    for (i, d) in diags.iter().take(MAX_SHOWN).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{file}:{}:{}: {}", d.line, d.column, d.message);
        // Diagnostics come in file order; one that points back (a caller's own order) rescans.
        if d.line < at {
            (lines, at, text) = (source.lines(), 0, None);
        }
        while at < d.line {
            text = lines.next();
            at += 1;
            if text.is_none() {
                break;
            }
        }
        if let Some(text) = text {
            out.push_str(&snippet(text, d.line, d.column));
        }
    }
    if diags.len() > MAX_SHOWN {
        let _ = writeln!(out, "\n… and {} more not shown", diags.len() - MAX_SHOWN);
    }
    if diags.len() > 1 {
        let _ = write!(out, "{} errors in {file}", diags.len());
    }
    out.trim_end().to_string()
}

/// `text`, the source line numbered `line`, with a caret under `column` (both 1-based, in
/// characters). A long line is shown as a window of [`MAX_SNIPPET`] characters around the caret.
fn snippet(text: &str, line: u64, column: u64) -> String {
    let gutter = line.to_string();
    let pad = " ".repeat(gutter.len());
    let col = usize::try_from(column.saturating_sub(1)).unwrap_or(0);
    let start = col.saturating_sub(MAX_SNIPPET / 2);
    let window: String = text.chars().skip(start).take(MAX_SNIPPET).collect();
    let (before, after) =
        (if start > 0 { "…" } else { "" }, if text.chars().nth(start + MAX_SNIPPET).is_some() { "…" } else { "" });
    let lead = " ".repeat(before.chars().count() + window.chars().count().min(col - start));
    // One character per character, so that the caret stays under its column.
    let shown: String = window
        .chars()
        .map(|c| {
            if c == '\t' {
                '→'
            } else if c.is_control() {
                '?'
            } else {
                c
            }
        })
        .collect();
    format!("{pad} |\n{gutter} | {before}{shown}{after}\n{pad} | {lead}^\n")
}

/// A serde-saphyr error as a lab-file error: the same location, a message that says what was
/// expected in words, and the key it belongs to when the source shows one.
pub fn yaml_error(e: &serde_saphyr::Error, file: &str, source: &str) -> Error {
    if source.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        let d = Diag {
            line: 1,
            column: 1,
            message: "the file is empty: expected a mapping with id, title, level, goal and steps".into(),
        };
        return Error::Yaml { rendered: render(file, source, &[d]) };
    }
    let raw = serde_saphyr::DefaultMessageFormatter.format_message(e.without_snippet()).into_owned();
    let (mut line, mut column) = e.location().map_or((1, 1), |l| (l.line().max(1), l.column().max(1)));
    // Point at what the reader needs to change, where the parser stopped elsewhere.
    if raw.starts_with("missing field") {
        (line, column) = mapping_start(source, line, column);
    } else if raw.contains("found a tab") || raw.starts_with("tabs disallowed") {
        (line, column) = first_tab(source, line).unwrap_or((line, column));
    } else if raw.starts_with("multiple YAML documents") {
        (line, column) = second_document(source).unwrap_or((line, column));
    }
    let message = reword(&raw, key_before(source, line, column).as_deref());
    Error::Yaml { rendered: render(file, source, &[Diag { line, column, message }]) }
}

/// The first key of the block mapping that has a key at `line:column` (serde-saphyr reports a
/// missing field at the mapping's last key).
fn mapping_start(source: &str, line: u64, column: u64) -> (u64, u64) {
    let lines: Vec<&str> = source.lines().collect();
    let mut best = (line, column);
    let mut i = usize::try_from(line.saturating_sub(1)).unwrap_or(0);
    let col = usize::try_from(column.saturating_sub(1)).unwrap_or(0);
    while i > 0 {
        i -= 1;
        let Some(text) = lines.get(i) else { break };
        let trimmed = text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = text.len() - trimmed.len();
        let item = trimmed.strip_prefix("- ");
        let key_col = match item {
            Some(rest) => indent + 2 + rest.len() - rest.trim_start().len(),
            None => indent,
        };
        if key_col == col {
            best = (i as u64 + 1, column);
            if item.is_some() {
                break;
            }
        } else if indent < col {
            break;
        }
    }
    best
}

/// The first tab used for indentation at or after `line`.
fn first_tab(source: &str, line: u64) -> Option<(u64, u64)> {
    source.lines().enumerate().skip(usize::try_from(line.saturating_sub(1)).ok()?).find_map(|(i, text)| {
        let lead: String = text.chars().take_while(|c| c.is_whitespace()).collect();
        lead.find('\t').map(|at| (i as u64 + 1, lead[..at].chars().count() as u64 + 1))
    })
}

/// The `---` that starts a second document.
fn second_document(source: &str) -> Option<(u64, u64)> {
    let mut content = false;
    for (i, text) in source.lines().enumerate() {
        if text.starts_with("---") {
            if content {
                return Some((i as u64 + 1, 1));
            }
            content = true;
        } else if !text.trim().is_empty() && !text.trim_start().starts_with('#') {
            content = true;
        }
    }
    None
}

/// The mapping key whose value starts at `line:column`, if the line reads `key: <value>`.
fn key_before(source: &str, line: u64, column: u64) -> Option<String> {
    let text = source.lines().nth(usize::try_from(line.checked_sub(1)?).ok()?)?;
    let before: String = text.chars().take(usize::try_from(column.checked_sub(1)?).ok()?).collect();
    let before = before.trim_end().strip_suffix(':')?;
    let key = before.trim_start().trim_start_matches("- ").trim();
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_.[]=".contains(c))).then(|| key.to_string())
}

fn reword(raw: &str, key: Option<&str>) -> String {
    let sanitized: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let plain = |m: &str| match key {
        Some(k) => format!("`{k}`: {m}"),
        None => m.to_string(),
    };
    if let Some(rest) = sanitized.strip_prefix("unknown field ") {
        return unknown_field(rest);
    }
    if let Some(rest) = sanitized.strip_prefix("missing field ") {
        return format!("missing key {rest}");
    }
    if sanitized.contains("found a tab") || sanitized.starts_with("tabs disallowed") {
        return "a tab: YAML indentation must use spaces".into();
    }
    if let Some(rest) = sanitized.strip_prefix("duplicate mapping key: ") {
        let name = rest.split(',').next().unwrap_or(rest).trim();
        return format!("duplicate key `{name}`: each key may appear once in a mapping");
    }
    if sanitized.starts_with("multiple YAML documents") {
        return "a second YAML document (`---`): a lab file holds exactly one".into();
    }
    let known = [
        ("expected sequence start", "expected a list (`- item` lines or `[a, b]`)"),
        ("expected string scalar", "expected a text value, found a list or a mapping"),
        ("expected mapping start", "expected a mapping (`key: value` lines)"),
        ("invalid i32", "expected a whole number"),
        ("invalid u32", "expected a whole number"),
        ("invalid i64", "expected a whole number"),
        ("invalid boolean", "expected true or false"),
    ];
    for (from, to) in known {
        if sanitized == from {
            return plain(to);
        }
    }
    plain(&sanitized)
}

/// `` `answr`, expected one of id, kind, answer `` → with a did-you-mean.
fn unknown_field(rest: &str) -> String {
    let (name, expected) = match rest.split_once(", expected ") {
        Some((n, e)) => (n.trim_matches('`'), e),
        None => (rest.trim_matches('`'), ""),
    };
    let list = expected.strip_prefix("one of ").unwrap_or(expected);
    let candidates: Vec<String> = list
        .split([',', ' '])
        .map(|s| s.trim().trim_matches('`').to_string())
        .filter(|s| !s.is_empty() && s != "or")
        .collect();
    let hint = suggest(name, candidates.iter().map(String::as_str)).map(|s| format!("; did you mean `{s}`?"));
    match (hint, candidates.is_empty()) {
        (Some(h), _) => format!("unknown key `{name}`{h} (expected one of: {})", candidates.join(", ")),
        (None, false) => format!("unknown key `{name}` (expected one of: {})", candidates.join(", ")),
        (None, true) => format!("unknown key `{name}`"),
    }
}

/// A YAML mapping kept in file order with the location of every key and value, for maps whose
/// keys are data (value paths, answers) rather than field names.
#[derive(Debug, Clone)]
pub struct SpannedMap<V>(pub Vec<(Spanned<String>, Spanned<V>)>);

impl<V> Default for SpannedMap<V> {
    fn default() -> Self {
        SpannedMap(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SpannedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = SpannedMap<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SpannedMap<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(SpannedMap(entries))
            }
        }
        d.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_suggest_the_closest_key() {
        assert_eq!(
            reword("unknown field `answr`, expected one of id, kind, answer", None),
            "unknown key `answr`; did you mean `answer`? (expected one of: id, kind, answer)"
        );
    }

    #[test]
    fn type_errors_name_their_key() {
        assert_eq!(
            reword("expected sequence start", Some("steps")),
            "`steps`: expected a list (`- item` lines or `[a, b]`)"
        );
        assert_eq!(key_before("steps: 3", 1, 8).as_deref(), Some("steps"));
        assert_eq!(key_before("  - exit: x", 1, 11).as_deref(), Some("exit"));
    }

    #[test]
    fn snippets_put_the_caret_under_the_column() {
        let out = render("f.yaml", "a: 1\nbb: x\n", &[Diag { line: 2, column: 5, message: "m".into() }]);
        assert_eq!(out, "f.yaml:2:5: m\n  |\n2 | bb: x\n  |     ^");
    }
}
