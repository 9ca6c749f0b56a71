//! Front matter: the YAML between a first line `---` and the next `---`, split
//! from the body (BOM, CRLF and a missing final newline accepted) and parsed
//! strictly into [`FrontMatter`].

use crate::yaml;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A text split into its front matter and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    pub yaml: &'a str,
    /// 1-based line of the file on which the YAML starts.
    pub yaml_line: usize,
    pub body: &'a str,
    /// 1-based line of the file on which the body starts.
    pub body_line: usize,
}

/// Why a text has no usable front matter; `line` is 1-based in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub line: usize,
    /// 1-based column; 1 when the problem concerns the whole line.
    pub col: usize,
    pub message: String,
}

/// Split `text` (already without BOM, with `\n` line ends) into YAML and body.
pub fn split(text: &str) -> Result<Split<'_>, SplitError> {
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != "---" {
        return Err(SplitError {
            line: 1,
            col: 1,
            message: "a post starts with front matter: a line `---`, YAML (title, date, …), and another `---`".into(),
        });
    }
    let yaml_start = (first_end + 1).min(text.len());
    let mut pos = yaml_start;
    let mut line = 2;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let l = text[pos..end].trim_end();
        if l == "---" || l == "..." {
            let body_start = (end + 1).min(text.len());
            return Ok(Split { yaml: &text[yaml_start..pos], yaml_line: 2, body: &text[body_start..], body_line: line + 1 });
        }
        pos = end + 1;
        line += 1;
    }
    Err(SplitError { line: 1, col: 1, message: "front matter is not closed: add a line `---` after the YAML".into() })
}

/// The keys a post or page may set. Unknown keys are errors; `extra` is free.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// Required; checked by the caller so that a missing `date` is reported with it.
    pub title: Option<String>,
    pub date: Option<String>,
    pub updated: Option<String>,
    pub slug: Option<String>,
    pub lang: Option<String>,
    pub author: Option<String>,
    pub location: Option<String>,
    pub issue: Option<u32>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub cover: Option<Cover>,
    pub source: Option<Source>,
    pub original_url: Option<String>,
    #[serde(default)]
    pub credits: Vec<Credit>,
    #[serde(default)]
    pub references: Vec<Reference>,
    #[serde(default)]
    pub related: Vec<String>,
    #[serde(default)]
    pub draft: bool,
    pub template: Option<String>,
    #[serde(default)]
    pub extra: BTreeMap<String, yaml::Value>,
}

/// `cover: {image, alt, credit}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cover {
    pub image: String,
    #[serde(default)]
    pub alt: String,
    pub credit: Option<String>,
}

/// The original a post translates or compiles.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
    pub publisher: Option<String>,
    pub date: Option<String>,
}

/// One entry of the credit line: `编译｜汤源`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Credit {
    pub role: String,
    pub name: String,
}

/// One entry of the references section.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub title: String,
    pub url: Option<String>,
    pub author: Option<String>,
}

/// Parse the YAML of a split; the error line is already a line of the file.
pub fn parse(split: &Split<'_>) -> Result<FrontMatter, SplitError> {
    if split.yaml.trim().is_empty() {
        return Err(SplitError { line: split.yaml_line, col: 1, message: "front matter is empty: `title` and `date` are required".into() });
    }
    yaml::from_str(split.yaml).map_err(|e| SplitError {
        line: if e.line == 0 { split.yaml_line } else { split.yaml_line + e.line - 1 },
        col: e.col.max(1),
        message: e.message.replace("the YAML must be", "the front matter must be"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_counts_lines() {
        let s = split("---\ntitle: a\ndate: 2023-01-01\n---\nbody\n").unwrap();
        assert_eq!(s.yaml, "title: a\ndate: 2023-01-01\n");
        assert_eq!(s.body, "body\n");
        assert_eq!(s.body_line, 5);
    }

    #[test]
    fn no_trailing_newline_and_empty_body() {
        let s = split("---\ntitle: a\n---").unwrap();
        assert_eq!(s.body, "");
        let s = split("---\ntitle: a\n---\n").unwrap();
        assert_eq!(s.body, "");
    }

    #[test]
    fn missing_fences() {
        assert_eq!(split("title: a\n").unwrap_err().line, 1);
        assert!(split("---\ntitle: a\n").unwrap_err().message.contains("not closed"));
    }

    #[test]
    fn yaml_errors_point_into_the_file() {
        let text = "---\ntitle: a\ndate: [\n---\n";
        let e = parse(&split(text).unwrap()).unwrap_err();
        assert!(e.line >= 3, "{e:?}");
        let e = parse(&split("---\ntitle: a\ntitel: b\n---\n").unwrap()).unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.message, "unknown key `titel` (did you mean `title`?)");
    }
}
