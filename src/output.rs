//! The rendered site: output path → bytes, ordered. In memory for tests and
//! `gen check`; a spilling output hands each file on as it comes and keeps
//! only what its spill says to keep: nothing (`gen build` streams files into
//! its temporary folder), or a digest of the bytes (`gen serve` writes its
//! files into a folder it serves from and compares digests to find changes).

use std::collections::BTreeMap;
use std::sync::Arc;

/// The bytes of one file, shared: cloning an output copies no file, so the
/// live preview can serve one version while it builds the next, and two
/// versions of a file compare equal at once when they are the same bytes.
pub type Bytes = Arc<Vec<u8>>;

/// Every file of the built site, by path relative to the output folder (`posts/a/index.html`).
#[derive(Clone, Default)]
pub struct Output {
    /// Each file's bytes; in a spilling output, what the spill keeps of them
    /// (nothing, or a digest: see [`Spill::write`]).
    pub files: BTreeMap<String, Bytes>,
    /// Where added files go as they come, when set: their paths stay in
    /// `files`, their bytes do not (see [`Output::spilling`]).
    spill: Option<Arc<dyn Spill>>,
    /// Files [`Output::put`] changed since they were handed on, with their
    /// bytes: served from here, and handed on only when there are more
    /// than [`RESIDENT_BUDGET`] bytes of them. A few files replaced on a
    /// disk can cost more than rendering them (ext4 flushes a file renamed
    /// over another at once): the live preview's edits stay off the disk.
    resident: BTreeMap<String, Bytes>,
    resident_bytes: usize,
    /// Problems worth telling the author that do not stop the build
    /// (`path: warning: …`), in the order found.
    pub warnings: Vec<String>,
}

/// Takes the files of an [`Output`] as they are added (`gen build` writes
/// them into its temporary folder while the rest of the site renders; the
/// live preview into the folder it serves).
pub trait Spill: Send + Sync {
    /// Take the file at `path`; what the output keeps in its place: an empty
    /// value, or [`digest`] of the bytes to find later changes by.
    fn write(&self, path: &str, bytes: Bytes) -> Bytes;
    /// Remove a file written before (a spill that keeps nothing ignores it).
    fn remove(&self, _path: &str) {}
    /// The bytes of a file written before, if the spill can read them back.
    fn read(&self, _path: &str) -> Option<Vec<u8>> {
        None
    }
}

/// How many bytes of changed files a spilling output keeps before it hands
/// them on (see [`Output::put`]).
pub const RESIDENT_BUDGET: usize = 64 << 20;

/// What a spill keeps of a file to tell whether it changed: its length and a
/// 64-bit hash of its bytes (16 bytes in place of the file).
pub fn digest(bytes: &[u8]) -> Bytes {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(bytes);
    let mut d = Vec::with_capacity(16);
    d.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    d.extend_from_slice(&h.finish().to_le_bytes());
    Arc::new(d)
}

impl Output {
    /// An output that hands every added file to `spill` and keeps only its
    /// path: a build then never holds the whole site in memory.
    pub fn spilling(spill: Arc<dyn Spill>) -> Output {
        Output { spill: Some(spill), ..Output::default() }
    }

    /// Add a file; returns false (and keeps the first) if the path is taken.
    pub fn add(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> bool {
        let path = path.into();
        if self.files.contains_key(&path) {
            return false;
        }
        let kept = self.hand_on(&path, Arc::new(bytes.into()));
        self.files.insert(path, kept);
        true
    }

    /// What this output keeps of a file with these bytes: the bytes, or
    /// (spilling) their digest. Equal to the kept value of a file when the
    /// file has these bytes.
    pub fn kept_of(&self, bytes: &Bytes) -> Bytes {
        match &self.spill {
            Some(_) => digest(bytes),
            None => Arc::clone(bytes),
        }
    }

    /// Hand a file to the spill without recording it (any thread): what the
    /// output keeps of it, to record later. Without a spill, the bytes.
    pub fn hand_on(&self, path: &str, bytes: Bytes) -> Bytes {
        match &self.spill {
            Some(spill) => spill.write(path, bytes),
            None => bytes,
        }
    }

    /// Put a file in place of the one at `path` (if any): whether its bytes
    /// changed. A spilling output keeps a changed file's bytes (resident)
    /// until it holds more than [`RESIDENT_BUDGET`] of them, then hands
    /// them all on.
    pub fn put(&mut self, path: &str, bytes: Bytes) -> bool {
        let kept = self.kept_of(&bytes);
        if self.files.get(path) == Some(&kept) {
            return false;
        }
        if self.spill.is_some() {
            self.resident_bytes += bytes.len();
            if let Some(old) = self.resident.insert(path.to_string(), bytes) {
                self.resident_bytes -= old.len();
            }
            if self.resident_bytes > RESIDENT_BUDGET {
                self.hand_on_resident();
            }
        }
        self.files.insert(path.to_string(), kept);
        true
    }

    /// Hand the resident files on to the spill.
    fn hand_on_resident(&mut self) {
        let Some(spill) = &self.spill else { return };
        for (path, bytes) in std::mem::take(&mut self.resident) {
            spill.write(&path, bytes);
        }
        self.resident_bytes = 0;
    }

    /// Take the file at `path` away (from the spill too); whether there was one.
    pub fn remove(&mut self, path: &str) -> bool {
        if self.files.remove(path).is_none() {
            return false;
        }
        if let Some(old) = self.resident.remove(path) {
            self.resident_bytes -= old.len();
        }
        if let Some(spill) = &self.spill {
            spill.remove(path);
        }
        true
    }

    /// Make the files at `paths` what they are in `from` (gone where `from`
    /// has none), and the resident files those of `from` (bytes shared):
    /// the served copy of an output takes over a change this way.
    pub fn take_from<'a>(&mut self, from: &Output, paths: impl IntoIterator<Item = &'a String>) {
        for path in paths {
            match from.files.get(path) {
                Some(kept) => self.files.insert(path.clone(), Arc::clone(kept)),
                None => self.files.remove(path),
            };
        }
        self.resident.clone_from(&from.resident);
        self.resident_bytes = from.resident_bytes;
    }

    /// The bytes of the file at `path`: from memory, or read back from the spill.
    pub fn read(&self, path: &str) -> Option<Vec<u8>> {
        let kept = self.files.get(path)?;
        if let Some(bytes) = self.resident.get(path) {
            return Some(bytes.to_vec());
        }
        match &self.spill {
            Some(spill) => spill.read(path),
            None => Some(kept.to_vec()),
        }
    }

    /// Whether two outputs hand their files to the same spill (or neither spills).
    pub fn same_spill(&self, other: &Output) -> bool {
        match (&self.spill, &other.spill) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
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

    /// A spill that keeps what it is given, in memory.
    #[derive(Default)]
    struct Kept(std::sync::Mutex<BTreeMap<String, Bytes>>);

    impl Spill for Kept {
        fn write(&self, path: &str, bytes: Bytes) -> Bytes {
            let d = digest(&bytes);
            self.0.lock().unwrap().insert(path.to_string(), bytes);
            d
        }
        fn remove(&self, path: &str) {
            self.0.lock().unwrap().remove(path);
        }
        fn read(&self, path: &str) -> Option<Vec<u8>> {
            self.0.lock().unwrap().get(path).map(|b| b.to_vec())
        }
    }

    #[test]
    fn a_spilling_output_keeps_changes_resident_up_to_its_budget() {
        let spill = Arc::new(Kept::default());
        let mut o = Output::spilling(spill.clone());
        assert!(o.add("a.html", "one"));
        assert_eq!(o.files["a.html"], digest(b"one"));
        assert!(!o.put("a.html", Arc::new(b"one".to_vec())), "the same bytes are no change");
        assert!(o.put("a.html", Arc::new(b"two".to_vec())));
        assert_eq!((o.read("a.html").unwrap(), spill.read("a.html").unwrap()), (b"two".to_vec(), b"one".to_vec()), "held, not handed on");
        let mut served = Output::spilling(spill.clone());
        served.take_from(&o, ["a.html".to_string()].iter());
        assert_eq!(served.read("a.html").unwrap(), b"two");
        let big = Arc::new(vec![7u8; RESIDENT_BUDGET]);
        assert!(o.put("big.bin", big));
        assert_eq!(spill.read("a.html").unwrap(), b"two", "over the budget, every resident file is handed on");
        assert_eq!(o.read("big.bin").unwrap().len(), RESIDENT_BUDGET);
        assert!(o.remove("a.html") && !o.remove("a.html"));
        assert!(spill.read("a.html").is_none() && o.read("a.html").is_none());
    }

    #[test]
    fn safe_paths() {
        assert!(Output::is_safe_path("posts/中文/index.html"));
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "C:/x", "a\\b", "a//b", "a\0"] {
            assert!(!Output::is_safe_path(bad), "{bad:?}");
        }
    }
}
