//! The rendered site in memory: output path → bytes, ordered, so that `gen
//! build` writes it once and `gen serve` serves it without touching the disk.

use std::collections::BTreeMap;
use std::sync::Arc;

/// The bytes of one file, shared: cloning an output copies no file, so the
/// live preview can serve one version while it builds the next, and two
/// versions of a file compare equal at once when they are the same bytes.
pub type Bytes = Arc<Vec<u8>>;

/// Every file of the built site, by path relative to the output folder (`posts/a/index.html`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub files: BTreeMap<String, Bytes>,
}

impl Output {
    /// Add a file; returns false (and keeps the first) if the path is taken.
    pub fn add(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> bool {
        let path = path.into();
        if self.files.contains_key(&path) {
            return false;
        }
        self.files.insert(path, Arc::new(bytes.into()));
        true
    }

    /// The file served for a URL path: `/a/` → `a/index.html`.
    pub fn lookup(&self, url_path: &str) -> Option<&[u8]> {
        let p = url_path.trim_start_matches('/');
        let key = if p.is_empty() || p.ends_with('/') { format!("{p}index.html") } else { p.to_string() };
        self.files.get(&key).map(|b| b.as_slice())
    }

    /// Number of HTML pages.
    pub fn pages(&self) -> usize {
        self.files.keys().filter(|k| k.ends_with(".html")).count()
    }

    /// Whether a path is safe to write under the output folder: relative,
    /// no `..`, no drive letters, no NUL or backslash.
    pub fn is_safe_path(path: &str) -> bool {
        !path.is_empty()
            && !path.starts_with('/')
            && !path.contains(['\\', '\0', ':'])
            && path.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_folders() {
        let mut o = Output::default();
        assert!(o.add("index.html", "home"));
        assert!(o.add("posts/a/index.html", "a"));
        assert!(!o.add("posts/a/index.html", "b"));
        assert_eq!(o.lookup("/"), Some(&b"home"[..]));
        assert_eq!(o.lookup("/posts/a/"), Some(&b"a"[..]));
        assert_eq!(o.lookup("/posts/a"), None);
        assert_eq!(o.pages(), 2);
    }

    #[test]
    fn safe_paths() {
        assert!(Output::is_safe_path("posts/中文/index.html"));
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "C:/x", "a\\b", "a//b", "a\0"] {
            assert!(!Output::is_safe_path(bad), "{bad:?}");
        }
    }
}
