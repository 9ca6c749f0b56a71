//! The only module that touches the disk: reading a site's sources, and
//! writing a built [`Output`] into the output folder without losing anything:
//! gen deletes only files its manifest says it wrote, and a folder holding
//! only gen's files is replaced in one step (a failed or killed build leaves
//! the previous output whole).

use crate::error::Error;
use crate::output::Output;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything a build reads, by path.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub root: PathBuf,
    /// `config.yaml`, if present.
    pub config: Option<String>,
    /// Files under `content/`, by path inside it.
    pub content: BTreeMap<String, Vec<u8>>,
    /// Files under `themes/`, by path inside it.
    pub themes: BTreeMap<String, Vec<u8>>,
}

/// Read the site at `root`.
pub fn load(root: &Path) -> Result<Sources, Vec<Error>> {
    let mut errors = Vec::new();
    let config_path = root.join("config.yaml");
    let config = match fs::read(&config_path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(crate::error::not_utf8("config.yaml", e.as_bytes()));
                None
            }
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => {
            errors.push(Error::file("config.yaml", format!("cannot be read: {e}")));
            None
        }
    };
    let content = read_tree(root, "content", &mut errors);
    let themes = read_tree(root, "themes", &mut errors);
    if errors.is_empty() { Ok(Sources { root: root.to_path_buf(), config, content, themes }) } else { Err(errors) }
}

/// Every file below `root/dir`, by path inside it. Dotfiles and dot-folders
/// (`.well-known/`, `.nojekyll`) are read like any other; version-control
/// folders, system clutter and editor leftovers are skipped ([`is_ignored_name`]).
/// Symbolic links are followed (a shared `images/` linked into `content/`);
/// a broken link or a loop is an error naming it.
fn read_tree(root: &Path, dir: &str, errors: &mut Vec<Error>) -> BTreeMap<String, Vec<u8>> {
    let base = root.join(dir);
    let mut paths = Vec::new();
    if !base.is_dir() {
        return BTreeMap::new();
    }
    for entry in
        walkdir::WalkDir::new(&base).follow_links(true).sort_by_file_name().into_iter().filter_entry(|e| e.depth() == 0 || !is_ignored(e.file_name()))
    {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let rel = e.path().strip_prefix(&base).unwrap_or(e.path());
                match rel.to_str() {
                    Some(s) => paths.push((s.replace('\\', "/"), e.path().to_path_buf())),
                    None => errors.push(Error::file(Path::new(dir).join(rel), "file name is not valid UTF-8; rename it")),
                }
            }
            Ok(_) => {}
            Err(e) => errors.push(Error::file(e.path().map_or_else(|| base.clone(), Path::to_path_buf), format!("cannot be read: {e}"))),
        }
    }
    let read: Vec<(String, io::Result<Vec<u8>>)> = paths.into_par_iter().map(|(rel, full)| (rel, fs::read(full))).collect();
    let mut files = BTreeMap::new();
    for (rel, bytes) in read {
        match bytes {
            Ok(b) => {
                files.insert(rel, b);
            }
            Err(e) => errors.push(Error::file(format!("{dir}/{rel}"), format!("cannot be read: {e}"))),
        }
    }
    files
}

/// `path` made absolute, with links resolved.
pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    fs::canonicalize(path)
}

/// Whether something other than a folder is at `path` (a link is not followed).
pub fn is_non_folder(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir())
}

/// A source of the site, named as the build reads it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourcePath {
    /// `config.yaml`.
    Config,
    /// A file under `content/`, by path inside it; empty for the folder itself.
    Content(String),
    /// A file under `themes/`, by path inside it; empty for the folder itself.
    Theme(String),
}

impl SourcePath {
    /// Its path relative to the site's root.
    pub fn path(&self) -> String {
        match self {
            SourcePath::Config => "config.yaml".into(),
            SourcePath::Content(p) if p.is_empty() => "content".into(),
            SourcePath::Theme(p) if p.is_empty() => "themes".into(),
            SourcePath::Content(p) => format!("content/{p}"),
            SourcePath::Theme(p) => format!("themes/{p}"),
        }
    }
}

/// Which source `path` (absolute inside `root`, or relative to it) is:
/// `None` for what a build does not read (anything outside config.yaml,
/// content/ and themes/, and the names of [`is_ignored_name`]). The site's
/// folder itself counts as `content/` (everything may have changed).
pub fn source_path(root: &Path, path: &Path) -> Option<SourcePath> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            std::path::Component::Normal(s) => parts.push(s.to_str()?),
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    if parts.iter().any(|p| is_ignored_name(p)) {
        return None;
    }
    match parts.as_slice() {
        [] => Some(SourcePath::Content(String::new())),
        ["config.yaml"] => Some(SourcePath::Config),
        ["content", rest @ ..] => Some(SourcePath::Content(rest.join("/"))),
        ["themes", rest @ ..] => Some(SourcePath::Theme(rest.join("/"))),
        _ => None,
    }
}

/// What changed among a site's sources, read from the disk.
#[derive(Debug, Default)]
pub struct Delta {
    /// Each changed source file with its bytes now (`None`: it is gone);
    /// config.yaml's bytes are valid UTF-8.
    pub files: Vec<(SourcePath, Option<Vec<u8>>)>,
    /// The whole site read again, when a folder came or went or a file
    /// could not be read on its own (then `files` is empty).
    pub whole: Option<Sources>,
}

/// Read what changed after the sources `changed` (see [`source_path`]) were
/// written, created or deleted; `sources` is the site as last read.
pub fn read_delta(root: &Path, changed: &[SourcePath], sources: &Sources) -> Result<Delta, Vec<Error>> {
    let mut sorted = changed.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut files = Vec::new();
    let mut whole = false;
    for source in sorted {
        let (tree, inner) = match &source {
            SourcePath::Config => (None, ""),
            SourcePath::Content(p) => (Some(&sources.content), p.as_str()),
            SourcePath::Theme(p) => (Some(&sources.themes), p.as_str()),
        };
        let full = root.join(source.path());
        if (tree.is_some() && inner.is_empty()) || full.is_dir() {
            whole = true;
            continue;
        }
        match fs::read(&full) {
            // Let a full read report config.yaml the way `gen build` does.
            Ok(bytes) if source == SourcePath::Config && std::str::from_utf8(&bytes).is_err() => whole = true,
            Ok(bytes) => files.push((source, Some(bytes))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // A removed folder takes everything below it: read the site again.
                let prefix = format!("{inner}/");
                whole |= tree.is_some_and(|t| t.range(prefix.clone()..).next().is_some_and(|(k, _)| k.starts_with(&prefix)));
                files.push((source, None));
            }
            Err(_) => whole = true,
        }
    }
    if whole {
        return Ok(Delta { files: Vec::new(), whole: Some(load(root)?) });
    }
    Ok(Delta { files, whole: None })
}

fn is_ignored(name: &std::ffi::OsStr) -> bool {
    is_ignored_name(&name.to_string_lossy())
}

/// Names of files that are never sources, never copied and never watched:
/// version-control folders (`.git`, `.hg`, `.svn`) and files (`.gitignore`,
/// `.gitkeep`, `.gitattributes`, `.gitmodules`, `.hgignore`), system clutter
/// (`.DS_Store`, `Thumbs.db`, `desktop.ini`) and what editors write beside
/// the real files (`.#x` and `#x#` of Emacs, `x~`, `.x.swp` and `4913` of
/// Vim, `x___jb_tmp___` of JetBrains, `.~lock.x#` of LibreOffice,
/// `.goutputstream-…` of GNOME). Other dotfiles are ordinary files.
pub fn is_ignored_name(name: &str) -> bool {
    const NAMES: [&str; 13] = [
        ".git",
        ".hg",
        ".svn",
        ".gitignore",
        ".gitkeep",
        ".gitattributes",
        ".gitmodules",
        ".hgignore",
        ".DS_Store",
        "Thumbs.db",
        "desktop.ini",
        ".directory",
        "4913",
    ];
    const PREFIXES: [&str; 4] = [".#", ".~lock.", ".goutputstream-", "._"];
    const SUFFIXES: [&str; 10] = ["~", ".swp", ".swx", ".swo", ".tmp", ".bak", ".orig", ".kate-swp", "___jb_tmp___", "___jb_old___"];
    NAMES.contains(&name)
        || PREFIXES.iter().any(|p| name.starts_with(p))
        || SUFFIXES.iter().any(|s| name.ends_with(s))
        || (name.starts_with('#') && name.ends_with('#'))
}

/// The record of the files a build wrote into its output folder, one path a
/// line, sorted: the next build deletes only these.
pub const MANIFEST: &str = ".gen-manifest";

/// Why an output folder cannot be written.
#[derive(Debug)]
pub enum WriteError {
    /// The folder holds files gen did not write, and `--force` was not given
    /// (the names of a few of them).
    Foreign {
        dir: PathBuf,
        names: Vec<String>,
        more: usize,
        first_time: bool,
    },
    Io(io::Error),
}

impl From<io::Error> for WriteError {
    fn from(e: io::Error) -> WriteError {
        WriteError::Io(e)
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Foreign { dir, names, more, first_time } => {
                let listed = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                let more = if *more > 0 { format!(" and {more} more") } else { String::new() };
                if *first_time {
                    write!(
                        f,
                        "the output folder {} is not empty and was not written by gen (it holds {listed}{more}); \
                         gen keeps files it did not write: run again with --force to build into it beside them, \
                         or choose another --output",
                        dir.display()
                    )
                } else {
                    write!(
                        f,
                        "the output folder {} holds {listed}{more}, which gen did not write, where this build writes files; \
                         move them away, or run again with --force to replace them",
                        dir.display()
                    )
                }
            }
            WriteError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Write `output` into `out_dir` (see [`Streamed`]). Returns the number of files.
pub fn write_output(output: &Output, out_dir: &Path) -> Result<usize, WriteError> {
    let stream = Streamed::start(out_dir, false)?;
    let spill = stream.spill();
    for (path, bytes) in &output.files {
        spill.write(path, Arc::clone(bytes));
    }
    stream.finish()?;
    Ok(output.files.len())
}

/// What an output folder holds before a build.
#[derive(Debug, Default)]
struct Survey {
    /// Whether it has a manifest, and the paths listed in it.
    has_manifest: bool,
    manifest: std::collections::BTreeSet<String>,
    /// Files and folders gen did not write (a folder counts once: `.git`).
    foreign: Vec<String>,
}

/// Look at what `out_dir` holds: its manifest, and every file not in it.
/// `.git` (and any folder without a file of gen's) is not entered.
fn survey(out_dir: &Path) -> io::Result<Survey> {
    let mut s = Survey::default();
    if !out_dir.is_dir() {
        return Ok(s);
    }
    match fs::read_to_string(out_dir.join(MANIFEST)) {
        Ok(text) => {
            s.has_manifest = true;
            s.manifest = manifest_paths(&text);
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // The folders that hold a file of gen's.
    let mut ours: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for p in &s.manifest {
        let mut at = p.as_str();
        while let Some((dir, _)) = at.rsplit_once('/') {
            if !ours.insert(dir) {
                break;
            }
            at = dir;
        }
    }
    let mut foreign = Vec::new();
    let mut walk = walkdir::WalkDir::new(out_dir).min_depth(1).sort_by_file_name().into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(io::Error::other)?;
        let rel = entry.path().strip_prefix(out_dir).unwrap_or(entry.path()).to_string_lossy().replace('\\', "/");
        if entry.depth() == 1 && (rel == MANIFEST || is_own_temporary(&rel)) {
            if entry.file_type().is_dir() {
                walk.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_dir() {
            if !ours.contains(rel.as_str()) {
                foreign.push(rel);
                walk.skip_current_dir();
            }
        } else if !s.manifest.contains(&rel) {
            foreign.push(rel);
        }
    }
    s.foreign = foreign;
    Ok(s)
}

/// The paths a manifest lists; lines that are not safe output paths (a hand
/// edit, `.git/…`) are ignored, so that no manifest makes gen delete them.
fn manifest_paths(text: &str) -> std::collections::BTreeSet<String> {
    text.lines().filter(|l| !l.starts_with('#') && Output::is_safe_path(l) && !is_protected(l)).map(str::to_string).collect()
}

/// Paths gen never writes or deletes in an output folder: `.git` and what is
/// inside it, and gen's own manifest.
pub fn is_protected(path: &str) -> bool {
    path.split('/').any(|seg| seg == ".git") || path == MANIFEST
}

/// The manifest's text for these paths.
fn manifest_text<'a>(paths: impl Iterator<Item = &'a String>) -> String {
    let mut text = String::from("# Files written by gen build; the next build deletes only these.\n");
    for p in paths {
        text.push_str(p);
        text.push('\n');
    }
    text
}

/// Temporary folders a build writes inside its output folder.
fn is_own_temporary(name: &str) -> bool {
    name.starts_with(".gen-tmp-")
}

/// Whether `dir` is the root of a mounted file system (it cannot be renamed).
#[cfg(unix)]
fn is_mount_point(dir: &Path, parent: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(dir), fs::metadata(parent)) {
        (Ok(d), Ok(p)) => d.dev() != p.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_mount_point(_: &Path, _: &Path) -> bool {
    false
}

/// The parent folder and name of `out_dir`, after checks.
fn parent_and_name(out_dir: &Path) -> io::Result<(PathBuf, String)> {
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "public".into());
    // Swapping a folder in for a file would move the file aside, where the next
    // build's cleanup deletes it.
    if fs::symlink_metadata(out_dir).is_ok_and(|m| !m.is_dir()) {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} is a file, not a folder; choose another --output", out_dir.display())));
    }
    Ok((parent, name))
}

/// How a build's files reach the output folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Written into a temporary folder beside the output folder, which then
    /// takes its place in one step: the output holds only gen's files.
    Swap,
    /// Written into a temporary folder inside the output folder, then moved
    /// into place file by file: the output holds files gen keeps (`.git`,
    /// `CNAME`), or it is a mount point, or its parent cannot be written.
    InPlace,
}

/// An output written while it is built: [`Output::spilling`] with
/// [`Streamed::spill`] hands each file to writer threads, which put it in a
/// temporary folder; [`Streamed::finish`] puts the files in place,
/// [`Streamed::abandon`] removes them. The previous output stays whole until
/// then, and the build never holds every file in memory.
///
/// An output folder that holds only what gen wrote (its manifest says so) is
/// replaced whole, in one step. Files gen did not write are never deleted:
/// a folder holding them is refused unless `force` (the first build into a
/// folder gen did not make), and is then updated in place; `.git` is never
/// entered.
pub struct Streamed {
    out_dir: PathBuf,
    parent: PathBuf,
    name: String,
    tmp: PathBuf,
    mode: Mode,
    force: bool,
    before: Survey,
    queue: Arc<Queue>,
    writers: Vec<std::thread::JoinHandle<()>>,
}

/// Files waiting to be written, the paths written, and the first error met.
struct Queue {
    tx: std::sync::Mutex<Option<std::sync::mpsc::SyncSender<(String, crate::output::Bytes)>>>,
    error: std::sync::Mutex<Option<io::Error>>,
    written: std::sync::Mutex<Vec<String>>,
}

impl crate::output::Spill for Queue {
    fn write(&self, path: &str, bytes: crate::output::Bytes) -> crate::output::Bytes {
        let tx = self.tx.lock().map(|t| t.clone()).unwrap_or_default();
        if let Some(tx) = tx {
            // A full queue makes the build wait for the writers: memory stays bounded.
            let _ = tx.send((path.to_string(), bytes));
        }
        crate::output::Bytes::default()
    }
}

impl Queue {
    fn fail(&self, e: io::Error) {
        if let Ok(mut first) = self.error.lock() {
            first.get_or_insert(e);
        }
    }
}

impl Streamed {
    /// Start writing the build for `out_dir`; refused (nothing touched) when
    /// the folder holds files gen did not write and `force` is false.
    pub fn start(out_dir: &Path, force: bool) -> Result<Streamed, WriteError> {
        let (parent, name) = parent_and_name(out_dir)?;
        let before = survey(out_dir)?;
        if !before.has_manifest && !before.foreign.is_empty() && !force {
            let names: Vec<String> = before.foreign.iter().take(5).cloned().collect();
            let more = before.foreign.len() - names.len();
            return Err(WriteError::Foreign { dir: out_dir.to_path_buf(), names, more, first_time: true });
        }
        fs::create_dir_all(&parent)?;
        remove_leftovers(&parent, &name);
        let mut mode = if before.foreign.is_empty() && !is_mount_point(out_dir, &parent) { Mode::Swap } else { Mode::InPlace };
        let mut tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if mode == Mode::Swap {
            if let Err(e) = fs::create_dir_all(&tmp) {
                if !out_dir.is_dir() {
                    return Err(e.into());
                }
                mode = Mode::InPlace;
            }
        }
        if mode == Mode::InPlace {
            remove_own_leftovers(out_dir);
            tmp = out_dir.join(format!(".gen-tmp-{}", std::process::id()));
            fs::create_dir_all(&tmp)?;
        }
        let (tx, rx) = std::sync::mpsc::sync_channel::<(String, crate::output::Bytes)>(256);
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let queue = Arc::new(Queue { tx: std::sync::Mutex::new(Some(tx)), error: std::sync::Mutex::new(None), written: Default::default() });
        let made: Arc<std::sync::Mutex<std::collections::HashSet<PathBuf>>> = Arc::default();
        let writers = (0..2)
            .map(|_| {
                let (rx, queue, made, tmp) = (Arc::clone(&rx), Arc::clone(&queue), Arc::clone(&made), tmp.clone());
                std::thread::spawn(move || {
                    loop {
                        let next = rx.lock().ok().and_then(|r| r.recv().ok());
                        let Some((path, bytes)) = next else { break };
                        match write_one(&tmp, &path, &bytes, &made) {
                            Ok(()) => {
                                if let Ok(mut w) = queue.written.lock() {
                                    w.push(path);
                                }
                            }
                            Err(e) => queue.fail(e),
                        }
                    }
                })
            })
            .collect();
        Ok(Streamed { out_dir: out_dir.to_path_buf(), parent, name, tmp, mode, force, before, queue, writers })
    }

    /// What an [`Output`] hands its files to (see [`Output::spilling`]).
    pub fn spill(&self) -> Arc<dyn crate::output::Spill> {
        self.queue.clone()
    }

    /// Wait for the writers; the paths written, sorted.
    fn drain(&mut self) -> io::Result<Vec<String>> {
        if let Ok(mut tx) = self.queue.tx.lock() {
            tx.take();
        }
        for w in self.writers.drain(..) {
            let _ = w.join();
        }
        match self.queue.error.lock().ok().and_then(|mut e| e.take()) {
            Some(e) => Err(e),
            None => {
                let mut written = self.queue.written.lock().map(|mut w| std::mem::take(&mut *w)).unwrap_or_default();
                written.sort();
                Ok(written)
            }
        }
    }

    /// Wait for the last files and put them in place of the previous output.
    pub fn finish(mut self) -> Result<(), WriteError> {
        let result = match self.drain() {
            Err(e) => Err(e.into()),
            Ok(written) => match self.mode {
                Mode::Swap => fs::write(self.tmp.join(MANIFEST), manifest_text(written.iter()))
                    .and_then(|()| swap_in(&self.tmp, &self.out_dir, &self.parent, &self.name))
                    .map_err(WriteError::from),
                Mode::InPlace => self.move_in(&written),
            },
        };
        if result.is_err() {
            let _ = fs::remove_dir_all(&self.tmp);
        }
        result
    }

    /// Throw away what was written; the output folder stays as it was.
    pub fn abandon(mut self) {
        let _ = self.drain();
        let _ = fs::remove_dir_all(&self.tmp);
    }

    /// Put the written files into the output folder one by one, delete the
    /// files of the previous build that this one did not write, and keep
    /// everything else. The manifest lists both builds' files until the
    /// last move, so a build killed half-way leaves nothing the next build
    /// would not clean up.
    fn move_in(&self, written: &[String]) -> Result<(), WriteError> {
        let out = &self.out_dir;
        let old = &self.before.manifest;
        // Files of others in the way of this build's files.
        if !self.force {
            let in_the_way: Vec<String> = written.iter().filter(|p| blocked_by_foreign(out, p, old)).cloned().collect();
            if !in_the_way.is_empty() {
                let names: Vec<String> = in_the_way.iter().take(5).cloned().collect();
                let more = in_the_way.len() - names.len();
                return Err(WriteError::Foreign { dir: out.clone(), names, more, first_time: false });
            }
        }
        let union: std::collections::BTreeSet<&String> = old.iter().chain(written).collect();
        replace_file(out, MANIFEST, manifest_text(union.into_iter()).as_bytes())?;
        let new: std::collections::HashSet<&str> = written.iter().map(String::as_str).collect();
        for stale in old.iter().filter(|p| !new.contains(p.as_str())) {
            remove_ours(out, stale)?;
        }
        for p in written {
            let to = out.join(p);
            clear_way(out, p)?;
            if let Some(dir) = to.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::rename(self.tmp.join(p), &to)?;
        }
        replace_file(out, MANIFEST, manifest_text(written.iter()).as_bytes())?;
        fs::remove_dir_all(&self.tmp)?;
        Ok(())
    }
}

/// Whether writing `path` under `out` would replace something gen did not
/// write: a file there, or a file, link or foreign folder on its way.
fn blocked_by_foreign(out: &Path, path: &str, ours: &std::collections::BTreeSet<String>) -> bool {
    let mut at = String::new();
    for seg in path.split('/') {
        if !at.is_empty() {
            at.push('/');
        }
        at.push_str(seg);
        let Ok(meta) = fs::symlink_metadata(out.join(&at)) else { return false };
        let last = at.len() == path.len();
        if last {
            return !ours.contains(&at);
        }
        if !meta.is_dir() {
            return !ours.contains(&at) || meta.file_type().is_symlink();
        }
    }
    false
}

/// Make room for `path` under `out`: remove a file or link where one of its
/// folders goes, and a folder where it goes (only with `--force`, or when
/// those were gen's).
fn clear_way(out: &Path, path: &str) -> io::Result<()> {
    let mut at = String::new();
    for seg in path.split('/') {
        if !at.is_empty() {
            at.push('/');
        }
        at.push_str(seg);
        let full = out.join(&at);
        let Ok(meta) = fs::symlink_metadata(&full) else { return Ok(()) };
        let last = at.len() == path.len();
        if last && meta.is_dir() {
            fs::remove_dir_all(&full)?;
        } else if !last && !meta.is_dir() {
            fs::remove_file(&full)?;
            return Ok(());
        }
    }
    Ok(())
}

/// Delete a file an earlier build wrote, and the folders it leaves empty; a
/// path through a link is left alone (it may lead out of the folder).
fn remove_ours(out: &Path, path: &str) -> io::Result<()> {
    let mut at = out.to_path_buf();
    let segs: Vec<&str> = path.split('/').collect();
    for seg in &segs[..segs.len() - 1] {
        at.push(seg);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            _ => return Ok(()),
        }
    }
    let full = out.join(path);
    match fs::symlink_metadata(&full) {
        Ok(m) if !m.is_dir() => fs::remove_file(&full)?,
        _ => return Ok(()),
    }
    let mut dir = full.parent();
    while let Some(d) = dir {
        if d == out || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

/// Replace one file in a folder in one step (a temporary file, then a rename).
fn replace_file(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!(".gen-tmp-{}.{name}", std::process::id()));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, dir.join(name))
}

/// Temporary folders and files of killed builds inside an output folder.
fn remove_own_leftovers(out_dir: &Path) {
    let Ok(entries) = fs::read_dir(out_dir) else { return };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = n.strip_prefix(".gen-tmp-") else { continue };
        let pid = rest.split('.').next().unwrap_or("");
        if !pid.parse().is_ok_and(is_running) {
            let _ = if e.path().is_dir() { fs::remove_dir_all(e.path()) } else { fs::remove_file(e.path()) };
        }
    }
}

/// Write one file under `dir`, making its folder first unless made before.
fn write_one(dir: &Path, path: &str, bytes: &[u8], made: &std::sync::Mutex<std::collections::HashSet<PathBuf>>) -> io::Result<()> {
    if !Output::is_safe_path(path) || is_protected(path) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("refusing to write outside the output folder: {path}")));
    }
    let full = dir.join(path);
    make_parent(&full, made)?;
    fs::write(full, bytes)
}

/// Make the folder of the file `full` unless made before.
fn make_parent(full: &Path, made: &std::sync::Mutex<std::collections::HashSet<PathBuf>>) -> io::Result<()> {
    if let Some(folder) = full.parent() {
        let known = made.lock().map(|m| m.contains(folder)).unwrap_or(false);
        if !known {
            fs::create_dir_all(folder)?;
            if let Ok(mut m) = made.lock() {
                m.insert(folder.to_path_buf());
            }
        }
    }
    Ok(())
}

/// Put the finished `tmp` folder in place of `out_dir`.
fn swap_in(tmp: &Path, out_dir: &Path, parent: &Path, name: &str) -> io::Result<()> {
    if !out_dir.exists() {
        return fs::rename(tmp, out_dir);
    }
    if exchange(tmp, out_dir).is_ok() {
        // `tmp` now holds the previous output.
        return fs::remove_dir_all(tmp);
    }
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    fs::rename(out_dir, &old)?;
    if let Err(e) = fs::rename(tmp, out_dir) {
        let _ = fs::rename(&old, out_dir);
        return Err(e);
    }
    fs::remove_dir_all(&old)
}

/// Swap two paths in one step (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no atomic exchange"))
}

/// Temporary folders of builds that were killed before they finished. Those of
/// a build still running (another `gen build` into the same folder) are left
/// alone: removing them under it made that build fail.
fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let pid = n.strip_prefix(&format!(".{name}.tmp-")).or_else(|| n.strip_prefix(&format!(".{name}.old-")));
        if let Some(pid) = pid {
            if !pid.parse().is_ok_and(is_running) {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
}

/// Whether a process with this id exists (other than this one).
#[cfg(unix)]
fn is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else { return false };
    // Signal 0 only checks that the process exists; nothing is sent.
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e == rustix::io::Errno::PERM,
    }
}

/// Without a way to ask here, every other process counts as running: the
/// folder of another server is never removed (the system's cleaning of its
/// temporary folder takes those of killed servers).
#[cfg(not(unix))]
fn is_running(pid: u32) -> bool {
    pid != std::process::id()
}

/// Where the live preview keeps its output: `gen-serve-PID` in the system's
/// temporary folder (`TMPDIR`, else `/tmp`), so that two servers never share
/// one, and never inside the site or its `public/`. Each full build goes into
/// a new numbered folder inside it ([`PreviewFolder::generation`]), removed
/// once nothing serves it any more; [`PreviewFolder::remove`] removes the
/// whole folder when the server stops, and the folders of servers that were
/// killed are removed when the next one starts.
pub struct PreviewFolder {
    root: PathBuf,
    next: std::sync::atomic::AtomicU32,
}

/// The start of a preview folder's name; the server's process id follows.
const PREVIEW_PREFIX: &str = "gen-serve-";

impl PreviewFolder {
    /// Make this process's preview folder (empty) in the temporary folder.
    pub fn create() -> io::Result<Arc<PreviewFolder>> {
        PreviewFolder::create_in(&std::env::temp_dir())
    }

    /// [`PreviewFolder::create`] inside `parent`.
    pub fn create_in(parent: &Path) -> io::Result<Arc<PreviewFolder>> {
        if let Ok(entries) = fs::read_dir(parent) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let pid = name.strip_prefix(PREVIEW_PREFIX).and_then(|p| p.parse::<u32>().ok());
                if pid.is_some_and(|pid| pid != std::process::id() && !is_running(pid)) {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
        let root = parent.join(format!("{PREVIEW_PREFIX}{}", std::process::id()));
        if root.exists() {
            fs::remove_dir_all(&root)?;
        }
        fs::create_dir_all(&root)?;
        Ok(Arc::new(PreviewFolder { root, next: std::sync::atomic::AtomicU32::new(1) }))
    }

    /// The folder itself.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// A new, empty folder for one whole output, as a spill: each file
    /// written to it replaces the one before in one step (a temporary file
    /// renamed into place), so a request never reads half a file.
    pub fn generation(&self) -> io::Result<Arc<dyn crate::output::Spill>> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = self.root.join(n.to_string());
        fs::create_dir_all(&dir)?;
        Ok(Arc::new(Generation { dir, made: Default::default(), temps: Default::default() }))
    }

    /// Remove the folder and everything in it (the server stopped).
    pub fn remove(&self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// One output of the live preview on disk; removed when dropped.
struct Generation {
    dir: PathBuf,
    made: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
    /// Numbers the temporary files, so that two threads never share one.
    temps: std::sync::atomic::AtomicU64,
}

impl crate::output::Spill for Generation {
    fn write(&self, path: &str, bytes: crate::output::Bytes) -> crate::output::Bytes {
        let n = self.temps.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = format!(".gen-tmp-{n}");
        let written = write_one(&self.dir, &tmp, &bytes, &self.made).and_then(|()| {
            if !Output::is_safe_path(path) || is_protected(path) {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a path inside the output"));
            }
            let to = self.dir.join(path);
            make_parent(&to, &self.made)?;
            fs::rename(self.dir.join(&tmp), to)
        });
        if let Err(e) = written {
            let _ = fs::remove_file(self.dir.join(&tmp));
            eprintln!("{}: warning: cannot write the preview of /{path}: {e}", self.dir.display());
        }
        crate::output::digest(&bytes)
    }

    fn remove(&self, path: &str) {
        if Output::is_safe_path(path) {
            let _ = fs::remove_file(self.dir.join(path));
        }
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        if !Output::is_safe_path(path) {
            return None;
        }
        fs::read(self.dir.join(path)).ok()
    }
}

impl Drop for Generation {
    /// Removing tens of thousands of files takes a while: on a thread of its own.
    fn drop(&mut self) {
        let dir = std::mem::take(&mut self.dir);
        let gone = std::thread::Builder::new().name("gen-preview-cleanup".into()).spawn({
            let dir = dir.clone();
            move || {
                let _ = fs::remove_dir_all(dir);
            }
        });
        if gone.is_err() {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// Write a new file, refusing to overwrite one that exists (`gen init`, `gen new`).
pub fn create_new(path: &Path, text: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    use std::io::Write;
    let mut f = fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(text.as_bytes())
}

/// Write `files` (name, bytes) into the folder `dir`, creating it, each
/// replacing any file of that name atomically (a temporary file renamed into
/// place); other files in `dir` are left alone (`gen email`).
pub fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    for (name, bytes) in files {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let written = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display())));
        }
    }
    Ok(())
}

/// Replace the text of an existing file whole: written beside it, then renamed
/// over it, so that it is never left half written (`gen new --translate --refresh`).
pub fn replace(path: &Path, text: &str) -> io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    fs::write(&tmp, text)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Write several new files, all or none: if any of them exists, nothing is
/// written and the error (kind `AlreadyExists`) names that path (`gen init`).
pub fn create_all_new(files: &[(PathBuf, String)]) -> io::Result<()> {
    if let Some((path, _)) = files.iter().find(|(p, _)| p.exists()) {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, path.display().to_string()));
    }
    for (path, text) in files {
        create_new(path, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let mut o = Output::default();
        o.add("a/index.html", "one");
        o.add("stale.txt", "x");
        write_output(&o, &out).unwrap();
        let mut o2 = Output::default();
        o2.add("a/index.html", "two");
        write_output(&o2, &out).unwrap();
        assert_eq!(fs::read_to_string(out.join("a/index.html")).unwrap(), "two");
        assert!(!out.join("stale.txt").exists());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["public"]);
    }

    #[test]
    fn leftovers_of_dead_builds_go_those_of_running_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".public.tmp-999999999");
        let ours = dir.path().join(format!(".public.tmp-{}", std::process::id()));
        let running = dir.path().join(".public.tmp-1");
        for d in [&dead, &ours, &running] {
            fs::create_dir_all(d.join("posts")).unwrap();
        }
        let mut o = Output::default();
        o.add("index.html", "x");
        write_output(&o, &dir.path().join("public")).unwrap();
        assert!(!dead.exists() && !ours.exists());
        assert!(running.exists(), "process 1 is running: its folder is not a leftover");
    }

    #[test]
    fn never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notes.txt");
        fs::write(&file, "precious").unwrap();
        let mut o = Output::default();
        o.add("index.html", "x");
        let e = write_output(&o, &file).unwrap_err();
        assert!(e.to_string().contains("is a file, not a folder"), "{e}");
        assert_eq!(fs::read_to_string(&file).unwrap(), "precious");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn streams_files_and_swaps_in_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let mut o = Output::default();
        o.add("old.txt", "old");
        write_output(&o, &out).unwrap();
        // Abandoned: the old output stays, the temporary folder goes.
        let stream = Streamed::start(&out, false).unwrap();
        let mut s = Output::spilling(stream.spill());
        s.add("a/index.html", "new");
        stream.abandon();
        assert_eq!(fs::read_to_string(out.join("old.txt")).unwrap(), "old");
        // Finished: the new files replace the old, and the output keeps only paths.
        let stream = Streamed::start(&out, false).unwrap();
        let mut s = Output::spilling(stream.spill());
        for i in 0..300 {
            s.add(format!("posts/{i}/index.html"), format!("post {i}"));
        }
        assert!(s.files.values().all(|b| b.is_empty()));
        stream.finish().unwrap();
        assert_eq!(fs::read_to_string(out.join("posts/299/index.html")).unwrap(), "post 299");
        assert!(!out.join("old.txt").exists());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["public"]);
        // An unsafe path fails the build's writing and changes nothing.
        let stream = Streamed::start(&out, false).unwrap();
        Output::spilling(stream.spill()).add("../escape.html", "x");
        assert!(stream.finish().is_err());
        assert!(out.join("posts/1/index.html").exists());
        assert!(!dir.path().join("escape.html").exists());
    }

    #[test]
    fn refuses_unsafe_paths_and_keeps_old_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let mut o = Output::default();
        o.add("index.html", "old");
        write_output(&o, &out).unwrap();
        let mut bad = Output::default();
        bad.add("../escape.html", "x");
        assert!(write_output(&bad, &out).is_err());
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "old");
        assert!(!dir.path().join("escape.html").exists());
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .map(|e| e.unwrap().path().strip_prefix(dir).unwrap().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn refuses_a_folder_gen_did_not_write_and_keeps_foreign_files_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        fs::create_dir_all(out.join(".git/objects")).unwrap();
        fs::write(out.join(".git/HEAD"), "ref: refs/heads/gh-pages\n").unwrap();
        fs::write(out.join("CNAME"), "letter.example.com\n").unwrap();
        let before = names(&out);
        let mut o = Output::default();
        o.add("index.html", "one");
        o.add("posts/a/index.html", "a");
        let e = write_output(&o, &out).unwrap_err();
        assert!(matches!(e, WriteError::Foreign { first_time: true, .. }), "{e}");
        assert!(e.to_string().contains("`.git`, `CNAME`") && e.to_string().contains("--force"), "{e}");
        assert_eq!(names(&out), before, "nothing touched");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary folder left");
        // With --force: built beside them.
        let s = Streamed::start(&out, true).unwrap();
        Output::spilling(s.spill()).add("index.html", "one");
        s.finish().unwrap();
        assert_eq!(fs::read_to_string(out.join(".git/HEAD")).unwrap(), "ref: refs/heads/gh-pages\n");
        assert_eq!(fs::read_to_string(out.join("CNAME")).unwrap(), "letter.example.com\n");
        assert_eq!(fs::read_to_string(out.join(MANIFEST)).unwrap(), "# Files written by gen build; the next build deletes only these.\nindex.html\n");
        // Later builds need no --force; gen's stale files go, the others stay.
        write_output(&o, &out).unwrap();
        let mut o2 = Output::default();
        o2.add("posts/b/index.html", "b");
        fs::write(out.join("posts/notes.txt"), "mine").unwrap();
        write_output(&o2, &out).unwrap();
        assert_eq!(
            names(&out),
            [".gen-manifest", ".git", ".git/HEAD", ".git/objects", "CNAME", "posts", "posts/b", "posts/b/index.html", "posts/notes.txt"]
        );
        // A foreign file where the build writes one: refused unless --force.
        fs::write(out.join("robots.txt"), "theirs").unwrap();
        let mut o3 = Output::default();
        o3.add("robots.txt", "ours");
        let e = write_output(&o3, &out).unwrap_err();
        assert!(matches!(e, WriteError::Foreign { first_time: false, .. }) && e.to_string().contains("`robots.txt`"), "{e}");
        assert_eq!(fs::read_to_string(out.join("robots.txt")).unwrap(), "theirs");
        assert!(out.join("posts/b/index.html").exists());
        let s = Streamed::start(&out, true).unwrap();
        Output::spilling(s.spill()).add("robots.txt", "ours");
        s.finish().unwrap();
        assert_eq!(fs::read_to_string(out.join("robots.txt")).unwrap(), "ours");
        assert!(!out.join("posts/b").exists() && out.join("posts/notes.txt").exists() && out.join(".git/HEAD").exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_manifest_cannot_make_gen_delete_git_or_leave_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        fs::create_dir_all(out.join(".git")).unwrap();
        fs::write(out.join(".git/HEAD"), "x").unwrap();
        fs::write(dir.path().join("outside.txt"), "x").unwrap();
        fs::write(out.join(MANIFEST), ".git/HEAD\n../outside.txt\n/etc/passwd\nold.html\n").unwrap();
        fs::write(out.join("old.html"), "old").unwrap();
        let mut o = Output::default();
        o.add("index.html", "x");
        write_output(&o, &out).unwrap();
        assert!(out.join(".git/HEAD").exists() && dir.path().join("outside.txt").exists());
        assert!(!out.join("old.html").exists() && out.join("index.html").exists());
        let mut bad = Output::default();
        bad.add(".git/config", "x");
        assert!(write_output(&bad, &out).is_err());
        assert!(!out.join(".git/config").exists());
    }

    #[test]
    fn an_empty_folder_is_built_into_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        fs::create_dir_all(&out).unwrap();
        let mut o = Output::default();
        o.add("index.html", "x");
        write_output(&o, &out).unwrap();
        assert_eq!(names(&out), [".gen-manifest", "index.html"]);
    }

    #[test]
    fn dotfiles_are_sources_editor_leftovers_are_not() {
        for name in [".well-known", ".nojekyll", ".htaccess", "CNAME", ".env.example", "a.md", "#1.md", ".gitignore.md", "gitkeep"] {
            assert!(!is_ignored_name(name), "{name}");
        }
        for name in [".git", ".gitignore", ".gitkeep", ".gitattributes", ".gitmodules", ".hgignore", ".DS_Store", "Thumbs.db", ".a.md.swp", "a.md~"]
            .into_iter()
            .chain(["#a.md#", ".#a.md", "4913", "a.md___jb_tmp___", ".~lock.a.odt#", "._a.png"])
        {
            assert!(is_ignored_name(name), "{name}");
        }
    }

    #[test]
    fn loads_sorted_and_skips_hidden() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("content/posts")).unwrap();
        fs::write(dir.path().join("content/posts/b.md"), "b").unwrap();
        fs::write(dir.path().join("content/posts/.a.md.swp"), "x").unwrap();
        fs::write(dir.path().join("content/.DS_Store"), "x").unwrap();
        fs::write(dir.path().join("content/.nojekyll"), "").unwrap();
        fs::write(dir.path().join("content/.gitignore"), "*.tmp").unwrap();
        fs::write(dir.path().join("content/posts/.gitkeep"), "").unwrap();
        fs::create_dir_all(dir.path().join("content/.well-known")).unwrap();
        fs::write(dir.path().join("content/.well-known/security.txt"), "Contact: x").unwrap();
        fs::create_dir_all(dir.path().join("content/.git")).unwrap();
        fs::write(dir.path().join("content/.git/HEAD"), "x").unwrap();
        fs::write(dir.path().join("config.yaml"), "title: x").unwrap();
        let s = load(dir.path()).unwrap();
        assert_eq!(s.content.keys().collect::<Vec<_>>(), [".nojekyll", ".well-known/security.txt", "posts/b.md"]);
        assert_eq!(s.config.as_deref(), Some("title: x"));
    }
}
