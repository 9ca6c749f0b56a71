//! The one place that parses YAML. serde_yaml is archived upstream; keeping every
//! call behind this module means a maintained fork can replace it in one place.
//!
//! Errors come back as a line/column inside the YAML text and a message rewritten
//! for authors ("unknown key `titel` (did you mean `title`?)").

use serde::de::DeserializeOwned;

/// Free-form YAML data (`extra` maps), kept as JSON values for templates.
pub type Value = serde_json::Value;

/// A YAML problem: position inside the YAML text (1-based; 0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Parse `text` into `T`, rewriting serde's messages into author-facing ones.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|e| explain(text, &e))
}

/// Locate and word a serde_yaml error for authors. Syntax errors about an
/// unclosed `[`, `{` or quote point at where it was opened, not at the end of
/// the text where the parser gave up; positions never appear inside messages.
fn explain(text: &str, e: &serde_yaml::Error) -> YamlError {
    let (line, col) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
    let (raw, marks) = strip_marks(&e.to_string());
    if let Some((problem, context)) = raw.split_once(", while ") {
        let context_mark = marks.get(1).copied();
        let (message, at_context) = syntax_message(text, problem, context, (line, col));
        let (line, col) = if at_context { context_mark.unwrap_or((line, col)) } else { (line, col) };
        return YamlError { line, col, message };
    }
    if let Some(key) = find_after(&raw, "duplicate field `").and_then(|r| r.split('`').next()) {
        let (line, col) = second_occurrence(text, key, (line, col)).unwrap_or((line, col));
        let msg = humanize_path(&raw);
        let prefix = msg.split("duplicate field").next().unwrap_or_default();
        return YamlError { line, col, message: format!("{prefix}key `{key}` is given twice") };
    }
    let message = match raw.as_str() {
        "mapping values are not allowed in this context" => {
            "unexpected `: ` in a value: put the value in quotes (`title: \"a: b\"`), or indent the line like the keys above it".into()
        }
        m if m.starts_with("found character that cannot start any token") => bad_start(text, (line, col)),
        "repetition limit exceeded" => "aliases (`*name`) expand this YAML too many times; write the values out".into(),
        "recursion limit exceeded" => "values are nested too deeply here".into(),
        m if m.starts_with("deserializing from YAML containing more than one document") => {
            "this YAML holds more than one document (a line `---` inside it); remove that line".into()
        }
        m => author_message(m),
    };
    YamlError { line, col, message }
}

/// Remove every ` at line L column C` (and ` at position N`) from a message, returning the positions.
fn strip_marks(msg: &str) -> (String, Vec<(usize, usize)>) {
    let mut out = String::with_capacity(msg.len());
    let mut marks = Vec::new();
    let mut rest = msg;
    while let Some(i) = rest.find(" at ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        if let Some((mark, len)) = parse_mark(after) {
            marks.extend(mark);
            rest = &after[len..];
        } else {
            out.push_str(" at ");
            rest = after;
        }
    }
    out.push_str(rest);
    (out, marks)
}

/// `line 3 column 7` or `position 12` at the start of `s`: the mark and its length.
fn parse_mark(s: &str) -> Option<(Option<(usize, usize)>, usize)> {
    let digits = |t: &str| t.bytes().take_while(u8::is_ascii_digit).count();
    if let Some(t) = s.strip_prefix("line ") {
        let n = digits(t);
        let c = t[n..].strip_prefix(" column ")?;
        let m = digits(c);
        if n == 0 || m == 0 {
            return None;
        }
        let mark = (t[..n].parse().ok()?, c[..m].parse().ok()?);
        return Some((Some(mark), "line ".len() + n + " column ".len() + m));
    }
    let t = s.strip_prefix("position ")?;
    let n = digits(t);
    (n > 0).then_some((None, "position ".len() + n))
}

/// An author-facing message for a libyaml syntax error, and whether it is best
/// shown at the context position (where the unclosed thing was opened).
fn syntax_message(text: &str, problem: &str, context: &str, at: (usize, usize)) -> (String, bool) {
    if context.starts_with("parsing a flow sequence") {
        return ("this list is not closed: a `[` needs a matching `]`, with `,` between the items".into(), true);
    }
    if context.starts_with("parsing a flow mapping") {
        return ("this map is not closed: a `{` needs a matching `}`, with `,` between the entries".into(), true);
    }
    if context.contains("quoted scalar") {
        if problem.contains("end of stream") || problem.contains("document") {
            return ("this quoted text is not closed: add the closing quote".into(), true);
        }
        if problem.contains("escape") || problem.contains("hexadecimal") {
            return ("unknown escape in double-quoted text: write `\\\\` for a backslash, or use single quotes (`'C:\\x'`)".into(), false);
        }
    }
    if problem.contains("tab character") {
        return ("a tab is used for indentation here; YAML indents with spaces".into(), false);
    }
    if context.starts_with("scanning a simple key") {
        return ("expected `key: value` on this line".into(), true);
    }
    if problem.starts_with("did not find expected key") || problem.starts_with("did not find expected '-' indicator") {
        return ("this line is not indented like the lines above it".into(), false);
    }
    if problem.starts_with("found character that cannot start any token") {
        return (bad_start(text, at), false);
    }
    (format!("{problem}, while {context}"), false)
}

/// `@` or `` ` `` cannot start a plain YAML value.
fn bad_start(text: &str, (line, col): (usize, usize)) -> String {
    let c = text.lines().nth(line.saturating_sub(1)).and_then(|l| l.chars().nth(col.saturating_sub(1)));
    match c {
        Some('\t') => "a tab is used for indentation here; YAML indents with spaces".into(),
        Some('`') => "a value cannot start with `` ` ``: put the value in quotes".into(),
        Some(c) if !c.is_whitespace() => format!("a value cannot start with `{c}`: put the value in quotes"),
        _ => "this character cannot start a value: put the value in quotes".into(),
    }
}

/// The line and column of the second `key:` at the indentation of the mapping at `at`.
fn second_occurrence(text: &str, key: &str, at: (usize, usize)) -> Option<(usize, usize)> {
    let indent = at.1.saturating_sub(1);
    let is_key = |l: &str| {
        let body = l.trim_start_matches(' ');
        l.len() - body.len() == indent && body.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with(':'))
    };
    text.lines().enumerate().skip(at.0.saturating_sub(1)).filter(|(_, l)| is_key(l)).nth(1).map(|(i, _)| (i + 1, indent + 1))
}

/// Turn serde's wording into gen's: keys not fields, author types not Rust types.
fn author_message(raw: &str) -> String {
    let msg = humanize_path(raw);
    if let Some(rest) = find_after(&msg, "unknown field `") {
        let name = rest.split('`').next().unwrap_or_default().to_string();
        let prefix = msg.split("unknown field").next().unwrap_or_default().to_string();
        let expected: Vec<String> = rest.split('`').skip(1).enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, s)| s.to_string()).collect();
        let hint = crate::error::did_you_mean(&name, expected.iter().map(String::as_str));
        let hint = if hint.is_empty() && !expected.is_empty() {
            format!(" (expected one of {}; free data goes under `extra`)", expected.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "))
        } else {
            hint
        };
        return format!("{prefix}unknown key `{name}`{hint}");
    }
    if let Some(rest) = find_after(&msg, "missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let prefix = msg.split("missing field").next().unwrap_or_default();
        return format!("{prefix}missing required key `{name}`");
    }
    for kind in ["invalid type: ", "invalid value: "] {
        if let Some(i) = msg.find(kind) {
            let (prefix, rest) = (&msg[..i], &msg[i + kind.len()..]);
            if let Some((found, expected)) = rest.rsplit_once(", expected ") {
                let subject = prefix.trim_end().trim_end_matches(':');
                let subject = if subject.is_empty() { "the YAML".to_string() } else { subject.to_string() };
                let (expected, found) = (expected_words(expected), found_words(found));
                // `title: [Update] …` is the usual way to write a list by accident.
                let hint = if expected == "text" && (found == "a list" || found == "a map") {
                    " (text that starts with `[` or `{` must be in quotes: `key: \"[…] …\"`)"
                } else {
                    ""
                };
                return format!("{subject} must be {expected}, not {found}{hint}");
            }
        }
    }
    msg
}

/// serde's name of an expected type, in an author's words.
fn expected_words(expected: &str) -> String {
    match expected {
        "a string" => "text".into(),
        "a sequence" => "a list (`[a, b]`, or one `- item` per line)".into(),
        "a boolean" => "`true` or `false`".into(),
        "u8" | "u16" | "u32" => {
            let max = match expected {
                "u8" => u64::from(u8::MAX),
                "u16" => u64::from(u16::MAX),
                _ => u64::from(u32::MAX),
            };
            format!("a whole number from 0 to {max}")
        }
        "u64" | "usize" => "a whole number (0 or more)".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a map" => "a map (`key: value` lines)".into(),
        e if e.starts_with("struct ") => "a map (`key: value` lines)".into(),
        e => e.into(),
    }
}

/// serde's description of the value found, in an author's words.
fn found_words(found: &str) -> String {
    let quoted = |prefix: &str| found.strip_prefix(prefix).map(|v| v.trim_matches('`').to_string());
    if let Some(n) = quoted("integer ").or_else(|| quoted("floating point ")) {
        return format!("the number {n}");
    }
    if let Some(s) = found.strip_prefix("string ") {
        return format!("the text {s}");
    }
    if let Some(b) = quoted("boolean ") {
        return format!("`{b}`");
    }
    match found {
        "sequence" => "a list".into(),
        "map" => "a map".into(),
        "unit value" => "an empty value".into(),
        f => f.into(),
    }
}

/// serde_yaml prefixes nested errors with a path (`.[0].replies[1]: …`);
/// say it the way authors count: `entry 1 › replies › entry 2: …`.
fn humanize_path(msg: &str) -> String {
    let Some((path, rest)) = msg.split_once(": ") else { return msg.to_string() };
    let looks_like_path = !path.contains(' ') && (path.starts_with('.') || path.contains('[') || path.contains('.') || is_serde_core(rest));
    if !looks_like_path {
        return msg.to_string();
    }
    let mut parts = Vec::new();
    for seg in path.trim_start_matches('.').split('.') {
        let (name, mut idx) = match seg.find('[') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        if !name.is_empty() {
            parts.push(format!("`{name}`"));
        }
        while let Some(close) = idx.find(']') {
            let n: usize = idx[1..close].parse().unwrap_or(0);
            parts.push(format!("entry {}", n + 1));
            idx = &idx[close + 1..];
        }
    }
    format!("{}: {rest}", parts.join(" › "))
}

/// Whether a message (after its path) is one of serde's own.
fn is_serde_core(msg: &str) -> bool {
    ["invalid type: ", "invalid value: ", "unknown field `", "missing field `", "duplicate field `", "invalid length "]
        .iter()
        .any(|p| msg.starts_with(p))
}

fn find_after<'a>(haystack: &'a str, needle: &str) -> Option<&'a str> {
    haystack.find(needle).map(|i| &haystack[i + needle.len()..])
}

/// 1-based line of the top-level `key:` in a YAML text, if present.
pub fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|l| l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':'))).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        title: String,
        date: Option<String>,
    }

    #[test]
    fn unknown_key_suggests() {
        let e = from_str::<Doc>("title: a\ntitel: b\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.message, "unknown key `titel` (did you mean `title`?)");
    }

    #[test]
    fn missing_key_is_named() {
        let e = from_str::<Doc>("date: x\n").unwrap_err();
        assert_eq!(e.message, "missing required key `title`");
    }

    #[test]
    fn syntax_error_has_line() {
        let e = from_str::<Doc>("title: a\ndate: [1,\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Typed {
        title: String,
        issue: Option<u32>,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        draft: bool,
    }

    fn err(text: &str) -> (usize, usize, String) {
        let e = from_str::<Typed>(text).unwrap_err();
        (e.line, e.col, e.message)
    }

    #[test]
    fn unclosed_things_point_where_they_open() {
        assert_eq!(err("title: x\ntags: [a, b\nissue: 1\n").0, 2);
        assert_eq!(err("title: x\ntags: [a, b\n"), (2, 7, "this list is not closed: a `[` needs a matching `]`, with `,` between the items".into()));
        assert_eq!(err("title: \"x\nissue: 1\n"), (1, 8, "this quoted text is not closed: add the closing quote".into()));
        let (_, _, m) = err("title: x\ntags: [a, b\n");
        assert!(!m.contains("line") && !m.contains("column"), "{m}");
    }

    #[test]
    fn types_in_author_words() {
        assert_eq!(err("title: x\ntags: 5\n").2, "`tags` must be a list (`[a, b]`, or one `- item` per line), not the number 5");
        assert_eq!(
            err("title: [1, 2]\n").2,
            "`title` must be text, not a list (text that starts with `[` or `{` must be in quotes: `key: \"[…] …\"`)"
        );
        assert_eq!(err("title: x\nissue: \"x\"\n"), (2, 8, "`issue` must be a whole number from 0 to 4294967295, not the text \"x\"".into()));
        assert_eq!(err("title: x\ndraft: maybe\n").2, "`draft` must be `true` or `false`, not the text \"maybe\"");
        assert_eq!(err("- a\n").2, "the YAML must be a map (`key: value` lines), not a list");
    }

    #[test]
    fn limits_are_named() {
        let deep = format!("title: {}{}\n", "[".repeat(1000), "]".repeat(1000));
        assert_eq!(from_str::<serde_json::Value>(&deep).unwrap_err().message, "values are nested too deeply here");
        let mut bomb = String::from("title: x\nextra:\n  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i"]) {
            bomb.push_str(&format!("  {name}: &{name} [{}]\n", vec![format!("*{prev}"); 9].join(", ")));
        }
        let e = from_str::<serde_json::Value>(&bomb).unwrap_err();
        assert_eq!(e.message, "aliases (`*name`) expand this YAML too many times; write the values out");
    }

    #[test]
    fn duplicates_point_at_the_second() {
        assert_eq!(err("title: x\nissue: 1\ntitle: y\n"), (3, 1, "key `title` is given twice".into()));
    }

    #[test]
    fn other_syntax_errors() {
        assert_eq!(
            err("title: a: b\n"),
            (1, 9, "unexpected `: ` in a value: put the value in quotes (`title: \"a: b\"`), or indent the line like the keys above it".into())
        );
        assert_eq!(err("title: x\n\tissue: 1\n").2, "a tab is used for indentation here; YAML indents with spaces");
        assert_eq!(err("title: x\ntags:\n\t- a\n").2, "a tab is used for indentation here; YAML indents with spaces");
        assert_eq!(err("title: x\nissue: `1`\n").2, "a value cannot start with `` ` ``: put the value in quotes");
        assert_eq!(
            err("title: \"C:\\x\"\n").2,
            "unknown escape in double-quoted text: write `\\\\` for a backslash, or use single quotes (`'C:\\x'`)"
        );
    }

    #[test]
    fn finds_key_line() {
        assert_eq!(key_line("a: 1\ndate : 2\n", "date"), Some(2));
        assert_eq!(key_line("dates: 1\n", "date"), None);
    }
}
