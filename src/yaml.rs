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
    serde_yaml::from_str(text).map_err(|e| {
        let (line, col) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        YamlError { line, col, message: author_message(&e.to_string()) }
    })
}

/// Turn serde_yaml's wording into gen's: no trailing position, keys not fields.
fn author_message(raw: &str) -> String {
    let mut msg = raw.to_string();
    if let Some(i) = msg.rfind(" at line ") {
        if msg[i..].contains(" column ") {
            msg.truncate(i);
        }
    }
    msg = humanize_path(&msg);
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
    msg
}

/// serde_yaml prefixes nested errors with a path (`.[0].replies[1]: …`);
/// say it the way authors count: `entry 1 › replies › entry 2: …`.
fn humanize_path(msg: &str) -> String {
    let Some((path, rest)) = msg.split_once(": ") else { return msg.to_string() };
    let looks_like_path = !path.contains(' ') && (path.starts_with('.') || path.contains('[') || path.contains('.'));
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

    #[test]
    fn finds_key_line() {
        assert_eq!(key_line("a: 1\ndate : 2\n", "date"), Some(2));
        assert_eq!(key_line("dates: 1\n", "date"), None);
    }
}
