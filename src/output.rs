//! The rendered site in memory: output path → bytes, ordered, so that `gen
//! build` writes it once and `gen serve` serves it without touching the disk.

use std::collections::BTreeMap;
use std::sync::Arc;

/// The bytes of one file, shared: cloning an output copies no file, so the
/// live preview can serve one version while it builds the next, and two
/// versions of a file compare equal at once when they are the same bytes.
pub type Bytes = Arc<Vec<u8>>;

/// Every file of the built site, by path relative to the output folder (`posts/a/index.html`).
#[derive(Clone, Default)]
pub struct Output {
    pub files: BTreeMap<String, Bytes>,
    /// Where added files go as they come, when set: their paths stay in
    /// `files`, their bytes do not (see [`Output::spilling`]).
    spill: Option<Arc<dyn Spill>>,
    /// Problems worth telling the author that do not stop the build
    /// (`path: warning: …`), in the order found.
    pub warnings: Vec<String>,
}

/// Takes the files of an [`Output`] as they are added (`gen build` writes
/// them into its temporary folder while the rest of the site renders).
pub trait Spill: Send + Sync {
    fn write(&self, path: &str, bytes: Bytes);
}

impl Output {
    /// An output that hands every added file to `spill` and keeps only its
    /// path: a build then never holds the whole site in memory.
    pub fn spilling(spill: Arc<dyn Spill>) -> Output {
        Output { files: BTreeMap::new(), spill: Some(spill), warnings: Vec::new() }
    }

    /// Add a file; returns false (and keeps the first) if the path is taken.
    pub fn add(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> bool {
        let path = path.into();
        if self.files.contains_key(&path) {
            return false;
        }
        let bytes = Arc::new(bytes.into());
        match &self.spill {
            Some(spill) => {
                spill.write(&path, bytes);
                self.files.insert(path, Bytes::default());
            }
            None => {
                self.files.insert(path, bytes);
            }
        }
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

    /// Whether added files are handed on rather than kept.
    pub fn is_spilling(&self) -> bool {
        self.spill.is_some()
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

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output").field("files", &self.files).field("spilling", &self.spill.is_some()).finish()
    }
}

/// Two outputs are equal when their files are.
impl PartialEq for Output {
    fn eq(&self, other: &Output) -> bool {
        self.files == other.files
    }
}

impl Eq for Output {}

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
