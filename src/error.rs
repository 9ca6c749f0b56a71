//! The one error type of gen: a problem located in a file (path, line, column)
//! with a message that says what is wrong and, where it helps, what would be right.
//!
//! Every stage collects its problems into `Vec<Error>` instead of stopping at the
//! first one, so that a build reports all of them together.

use std::fmt;
use std::path::{Path, PathBuf};

/// A located problem in the user's site.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Error {
    /// Path of the file, relative to the site root where possible.
    pub path: PathBuf,
    /// 1-based line; 0 when the problem concerns the file as a whole.
    pub line: usize,
    /// 1-based column (in characters); 0 when unknown.
    pub col: usize,
    pub message: String,
    /// The offending source line, shown with a caret under `col`.
    pub excerpt: Option<String>,
}

impl Error {
    pub fn new(path: impl Into<PathBuf>, line: usize, col: usize, message: impl Into<String>) -> Self {
        Error { path: path.into(), line, col, message: message.into(), excerpt: None }
    }

    /// An error about a whole file (no line known).
    pub fn file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::new(path, 0, 0, message)
    }

    /// Attach the source line the error points at, taken from the file's text.
    pub fn with_source(mut self, text: &str) -> Self {
        if self.line > 0 {
            self.excerpt = text.lines().nth(self.line - 1).map(|l| l.trim_end_matches('\r').to_string());
        }
        self
    }

    /// `path:line:col` as printed in messages.
    pub fn location(&self) -> String {
        let path = display_path(&self.path);
        match (self.line, self.col) {
            (0, _) => path,
            (l, 0) => format!("{path}:{l}"),
            (l, c) => format!("{path}:{l}:{c}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: error: {}", self.location(), self.message)?;
        if let Some(line) = &self.excerpt {
            // Long lines are cut so the excerpt stays readable.
            let shown: String = line.chars().take(160).collect();
            let gutter = self.line.to_string();
            write!(f, "\n{:width$} |\n{gutter} | {shown}", "", width = gutter.len())?;
            if self.col > 0 && self.col <= 160 {
                let pad: String = shown
                    .chars()
                    .take(self.col - 1)
                    .map(|c| {
                        if c == '\t' {
                            '\t'
                        } else if is_wide(c) {
                            '　'
                        } else {
                            ' '
                        }
                    })
                    .collect();
                write!(f, "\n{:width$} | {pad}^", "", width = gutter.len())?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Paths are shown with forward slashes on every platform.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Characters that take two columns in a terminal (CJK, fullwidth forms).
pub fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// Sort errors by file and position and drop exact repeats, so reports are stable.
pub fn sorted(mut errors: Vec<Error>) -> Vec<Error> {
    errors.sort();
    errors.dedup();
    errors
}

/// Line and column (both 1-based, column in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut cut = offset;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let before = &text[..cut];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// The error for a file that is not UTF-8: where the first bad byte is, with
/// the line shown (bad bytes as `�`), and a word on UTF-16, which editors on
/// Windows still write.
pub fn not_utf8(path: impl Into<PathBuf>, bytes: &[u8]) -> Error {
    let valid = std::str::from_utf8(bytes).err().map_or(bytes.len(), |e| e.valid_up_to());
    let lossy = String::from_utf8_lossy(bytes);
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Error::file(path, "this file is UTF-16 text; save it as UTF-8");
    }
    let prefix = String::from_utf8_lossy(&bytes[..valid]);
    let (line, col) = line_col(&prefix, prefix.len());
    let byte = bytes.get(valid).map_or(String::new(), |b| format!(" (byte 0x{b:02X})"));
    Error::new(path, line, col, format!("this file is not UTF-8 text{byte}; save it as UTF-8")).with_source(&lossy)
}

/// "did you mean `x`?" for the closest of `candidates`, when one is close enough.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let best =
        candidates.into_iter().map(|c| (strsim::jaro_winkler(word, c), c)).filter(|(score, _)| *score > 0.8).max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_location_and_caret() {
        let e = Error::new("content/posts/a.md", 2, 7, "bad").with_source("x\ntitle: [\n");
        assert_eq!(e.to_string(), "content/posts/a.md:2:7: error: bad\n  |\n2 | title: [\n  |       ^");
    }

    #[test]
    fn file_level_error_has_no_line() {
        assert_eq!(Error::file("config.yaml", "missing").to_string(), "config.yaml: error: missing");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\n中文x", 9), (2, 3));
        assert_eq!(line_col("ab", 0), (1, 1));
        assert_eq!(line_col("中", 1), (1, 1));
    }

    #[test]
    fn not_utf8_is_located() {
        let e = not_utf8("a.md", b"---\ntitle: caf\xE9\n---\n");
        assert_eq!(
            e.to_string(),
            "a.md:2:11: error: this file is not UTF-8 text (byte 0xE9); save it as UTF-8\n  |\n2 | title: caf\u{FFFD}\n  |           ^"
        );
        assert_eq!(not_utf8("a.md", b"\xFF\xFE-\0").to_string(), "a.md: error: this file is UTF-16 text; save it as UTF-8");
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("titel", ["title", "date"]), " (did you mean `title`?)");
        assert_eq!(did_you_mean("zzz", ["title", "date"]), "");
    }
}
